/** The requester's half of the per-worker lock (the lock itself is lock.ts): handlers and the keep-alive alike. */
import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { LockRelease, LockRequest } from '../../contract/lock.js';
import { lockGrantedSignal, lockReleaseSignal } from '../../contract/lock.js';
import { lockWorkflowId } from '../../contract/ids.js';
import { QUICK, RETRY } from '../retry.js';

const { requestLock } = proxyActivities<Pick<Activities, 'requestLock'>>(QUICK);
/**
 * The same request as a local activity: the worker sends it in the workflow task that decided to ask, without
 * a trip through the server's activity queue and the workflow task its completion would cost. Safe to run
 * twice (a lost marker re-runs it): the lock drops a second request of the same run.
 */
const near = proxyLocalActivities<Pick<Activities, 'requestLock'>>({ startToCloseTimeout: '30s', retry: RETRY });

/** Who asks and how urgently; the run asking is the current workflow run. */
export type LockAsk = Pick<LockRequest, 'handler' | 'priority' | 'requestedAt'>;

export interface LockOptions {
  /** Ask by a local activity (callers gate this behind their own patch: it changes the commands). */
  local?: boolean;
}

/**
 * Runs `fn` while holding `lock/<workerId>`: enqueue (signal-with-start through an activity), wait for
 * the grant signal, call `onGranted`, run, release. The release also withdraws a request that was never
 * granted, so a run cancelled while waiting does not leave a ghost in the queue.
 */
export async function withWorkerLock<T>(
  workerId: string,
  ask: LockAsk,
  onGranted: () => void,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  let granted = false;
  setHandler(lockGrantedSignal, () => {
    granted = true;
  });
  const info = workflowInfo();
  const me: LockRelease = { workflowId: info.workflowId, runId: info.runId };
  try {
    await (options.local === true ? near : { requestLock }).requestLock({ ...me, ...ask });
    await condition(() => granted);
    onGranted();
    return await fn();
  } finally {
    await CancellationScope.nonCancellable(async () => {
      try {
        await getExternalWorkflowHandle(lockWorkflowId(workerId)).signal(lockReleaseSignal, me);
      } catch (error) {
        // A lock that is gone holds nothing; the lock's own holder check covers any other loss.
        log.warn('lock release not delivered', { error: String(error) });
      }
    });
  }
}

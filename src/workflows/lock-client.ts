/** The requester's half of the per-worker lock (the lock itself is lock.ts). */
import { CancellationScope, condition, getExternalWorkflowHandle, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { priorityOf } from '../flags/handlers.js';
import type { Handler } from '../flags/handlers.js';
import type { LockRelease } from './definitions.js';
import { lockGrantedSignal, lockReleaseSignal, lockWorkflowId } from './definitions.js';
import { io } from './proxies.js';

/**
 * Runs `fn` while holding `lock/<workerId>`: enqueue (signal-with-start through an activity), wait for
 * the grant signal, run, release. The release also withdraws a request that was never granted, so a
 * handler cancelled while waiting does not leave a ghost in the queue.
 */
export async function withWorkerLock<T>(workerId: string, handler: Handler, onGranted: () => void, fn: () => Promise<T>): Promise<T> {
  let granted = false;
  setHandler(lockGrantedSignal, () => {
    granted = true;
  });
  const info = workflowInfo();
  const me: LockRelease = { workflowId: info.workflowId, runId: info.runId };
  try {
    await io.requestLock({ ...me, handler, priority: priorityOf(handler), requestedAt: info.startTime.getTime() });
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

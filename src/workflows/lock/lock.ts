/**
 * `lock/<workerId>`: one holder at a time among the handlers that touch the watcher or the code.
 * Requests arrive by signal (signal-with-start from the requestLock activity); the lock grants by
 * signalling the requester, best priority first, then the older request. Waiting requests that
 * arrive together at an idle lock are gathered briefly so that "dropped together" means "ranked together".
 * A holder that closes without releasing (terminated, timed out) is found by asking the server now and
 * then whether it still runs. The state travels across continue-as-new.
 */
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { LockRelease, LockRequest, LockState } from '../../contract/lock.js';
import {
  lockGrantedSignal,
  lockReleaseSignal,
  lockRequestSignal,
  lockStateQuery,
  MAX_HISTORY_EVENTS,
} from '../../contract/lock.js';
import { KEEPALIVE_LOCK_PRIORITY } from '../../contract/supervision.js';
import { QUICK } from '../retry.js';

const { workflowRunning } = proxyActivities<Pick<Activities, 'workflowRunning'>>(QUICK);

const sameRun = (a: LockRelease, b: LockRelease): boolean => a.workflowId === b.workflowId && a.runId === b.runId;

function byRank(a: LockRequest, b: LockRequest): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.requestedAt !== b.requestedAt) return a.requestedAt - b.requestedAt;
  return a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0;
}

export async function supervisor_lock(initial: LockState): Promise<void> {
  const { tuning } = initial;
  let holder = initial.holder;
  let queue = [...initial.queue];
  /** Workflow time each request of this run arrived; requests carried over from an earlier run count as old. */
  const arrivedAt = new Map<string, number>();

  setHandler(lockRequestSignal, (request) => {
    // A retried requestLock activity delivers the same request twice: once is enough.
    if ((holder !== null && sameRun(holder, request)) || queue.some((waiting) => sameRun(waiting, request))) return;
    queue.push(request);
    arrivedAt.set(`${request.workflowId}/${request.runId}`, Date.now());
  });
  setHandler(lockReleaseSignal, (release) => {
    if (holder !== null && sameRun(holder, release)) holder = null;
    else queue = queue.filter((waiting) => !sameRun(waiting, release));
  });
  setHandler(lockStateQuery, () => ({ holder, queue, tuning }));

  const historyFull = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > (tuning.maxHistoryEvents ?? MAX_HISTORY_EVENTS);
  };

  for (;;) {
    if (holder === null) {
      await condition(() => queue.length > 0 || historyFull());
      if (queue.length === 0) break;
      // Handler requests that reached an idle lock wait out the gather window, so flags dropped together are
      // ranked together. The keep-alive's restart is not a flag: alone in the queue it is granted at once.
      const flags = queue.filter((waiting) => waiting.priority !== KEEPALIVE_LOCK_PRIORITY);
      if (flags.length > 0) {
        const firstArrival = Math.min(
          ...flags.map((waiting) => arrivedAt.get(`${waiting.workflowId}/${waiting.runId}`) ?? 0),
        );
        const gatherLeft = firstArrival + tuning.gatherMs - Date.now();
        if (gatherLeft > 0) await sleep(gatherLeft);
      }
      await grantNext();
    } else {
      const current = holder;
      const released = await condition(() => holder !== current, tuning.holderCheckMs);
      if (!released && !(await holderRunning(current))) {
        log.warn('lock holder closed without releasing; lock freed', {
          holder: current.workflowId,
          runId: current.runId,
        });
        if (holder === current) holder = null;
      }
    }
    if (historyFull()) break;
  }
  // Sync signal handlers only: nothing is half handled here. Signals that arrive during this task
  // make the server refuse the continue-as-new and hand them to this run first.
  await continueAsNew<typeof supervisor_lock>({ holder, queue, tuning });

  /** A check that cannot be made counts as "still running": the lock must never fail, nor free a live holder. */
  async function holderRunning(current: LockRequest): Promise<boolean> {
    try {
      return await workflowRunning(current);
    } catch (error) {
      log.warn('cannot tell whether the lock holder still runs; asking again later', {
        holder: current.workflowId,
        error: String(error),
      });
      return true;
    }
  }

  async function grantNext(): Promise<void> {
    queue.sort(byRank);
    const next = queue.shift();
    if (next === undefined) return;
    arrivedAt.delete(`${next.workflowId}/${next.runId}`);
    holder = next;
    try {
      await getExternalWorkflowHandle(next.workflowId, next.runId).signal(lockGrantedSignal, {
        lockWorkflowId: workflowInfo().workflowId,
      });
      log.info('lock granted', { holder: next.workflowId, handler: next.handler, waiting: queue.length });
    } catch (error) {
      // The requester closed while waiting: it can never release, so it never held the lock.
      log.warn('lock requester is gone; skipped', { requester: next.workflowId, error: String(error) });
      if (holder === next) holder = null;
    }
  }
}

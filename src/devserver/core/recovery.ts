/**
 * Rebuilding runs from their histories: mutable state is re-applied event by event, then task queues,
 * timers and pending transfers are derived again. This is the seam a durable store (part 2) plugs into.
 */
import type { Engine } from '../state/engine.js';
import { Run } from '../state/run.js';
import type { RunExtras } from '../state/run.js';
import type { IHistoryEvent } from '../wire/proto.js';
import { EventType as E, TimeoutType } from '../wire/proto.js';
import { dispatchWorkflowTask, endWorkflowTask } from './wft-schedule.js';
import { dispatchPendingActivity } from './activities.js';
import { armUserTimer } from './user-timers.js';
import { armRunTimeout, endBackoff } from './start.js';
import { deliverExternalCancel, deliverExternalSignal, startChild } from './children.js';
import { runTimerKey } from './wft-schedule.js';
import { armRetention } from './close.js';
import { nextGeneration } from '../state/mutable-state.js';

export interface RunSnapshot {
  namespace: string;
  workflowId: string;
  runId: string;
  events: IHistoryEvent[];
  /** Non-history state, if the store kept it (request ids, activity attempts); optional. */
  extras?: Partial<RunExtras>;
  /** Events waiting for the running workflow task to finish. */
  buffered?: IHistoryEvent[];
  /** A pending transient workflow task (retry attempt >= 2), which history does not show. */
  transient?: { attempt: number; queue: string; sticky: boolean; scheduledTime: number } | null;
}

/** Adds a run rebuilt from its history. Restore runs of one workflow id oldest first. */
export function restoreRun(engine: Engine, snapshot: RunSnapshot): Run {
  const first = snapshot.events[0]?.workflowExecutionStartedEventAttributes;
  const run = new Run(
    snapshot.namespace,
    snapshot.workflowId,
    snapshot.runId,
    snapshot.extras?.startRequestId ?? first?.originalExecutionRunId ?? '',
  );
  for (const ev of snapshot.events) run.restore(ev);
  if (snapshot.extras) Object.assign(run.extras, snapshot.extras);
  if (snapshot.buffered) run.buffered = snapshot.buffered;
  const t = snapshot.transient;
  if (t && run.isOpen && !run.ms.wft) {
    // If the old process had handed it out, that attempt is lost with the worker's connection: offer it again.
    run.ms.wft = {
      ...t,
      scheduledId: run.ms.nextEventId,
      startedId: 0,
      startedTime: 0,
      transient: true,
      generation: nextGeneration(),
    };
  }
  engine.store.add(run);
  return run;
}

/** Derives the engine's in-memory work for an open run: queues, timers and unfinished transfers. */
export function rederive(engine: Engine, run: Run): void {
  if (!run.isOpen) {
    armRetention(engine, run);
    return;
  }
  const ms = run.ms;
  armRunTimeout(engine, run, ms.runTimeoutMs > 0 ? ms.executionTime + ms.runTimeoutMs : 0, ms.executionExpiration);
  for (const timerId of ms.timers.keys()) armUserTimer(engine, run, timerId);
  // An attempt that was running in the old process is lost; it is dispatched again right away.
  for (const info of ms.activities.values()) dispatchPendingActivity(engine, run, info);
  for (const ev of run.events) {
    const id = Number(ev.eventId);
    if (ev.eventType === E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED && ms.children.get(id)?.startedId === 0)
      startChild(engine, run, ev);
    if (ev.eventType === E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)
      deliverExternalSignal(engine, run, ev);
    if (ev.eventType === E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)
      deliverExternalCancel(engine, run, ev);
  }
  const wft = ms.wft;
  if (wft?.startedId) {
    // The worker that held the task is gone with the old process: time it out now instead of waiting.
    endWorkflowTask(engine, run, E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
      workflowTaskTimedOutEventAttributes: {
        scheduledEventId: wft.scheduledId,
        startedEventId: wft.startedId,
        timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
      },
    });
  } else if (wft) {
    dispatchWorkflowTask(engine, run);
  } else if (ms.lastCompletedWftStartedId === 0) {
    // The first task waits for its start delay / backoff, or was due when the old process stopped.
    run.extras.awaitingBackoff = true;
    engine.timers.set(runTimerKey(run, 'backoff'), ms.executionTime - Date.now(), () => endBackoff(engine, run));
  }
}

/** Restores many runs (oldest first per workflow id), then derives their work. */
export function restoreAll(engine: Engine, snapshots: RunSnapshot[]): Run[] {
  const runs = snapshots.map((s) => restoreRun(engine, s));
  for (const run of runs) rederive(engine, run);
  return runs;
}

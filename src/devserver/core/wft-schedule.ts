/** Workflow task lifecycle up to dispatch: scheduling (normal/sticky/transient), start, timeouts, failure. */
import type { L, pb } from '../wire/proto.js';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { IHistoryEvent } from '../wire/proto.js';
import { EventType as E, TimeoutType, msDuration, tsFromMs, temporal } from '../wire/proto.js';
import { nextGeneration } from '../state/mutable-state.js';
import type { WorkflowTaskInfo } from '../state/mutable-state.js';
import type { PollContext } from '../state/matching.js';
import { encodeToken } from '../wire/tokens.js';
import { settleQueries, takeQueries } from './query-registry.js';
import { outgoingMessages } from '../updates/protocol.js';

type PollResponse = L<pb.api.workflowservice.v1.IPollWorkflowTaskQueueResponse>;
const KIND_NORMAL = temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;
const KIND_STICKY = temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY;

export function runTimerKey(run: Run, what: string): string {
  return `${run.runId}:${what}`;
}

export type AddEvent = (eventType: number, attributes: IHistoryEvent) => number;

/**
 * Adds events the workflow must see (buffered while a task runs; `add` then returns -1) and schedules a
 * workflow task if none is pending.
 */
export function addWorkflowEvents(engine: Engine, run: Run, build: (add: AddEvent) => void): void {
  if (!run.isOpen) return;
  const wft = run.ms.wft;
  if (wft && wft.transient && !wft.startedId) {
    // A transient task's events are virtual; new history makes it a normal task again.
    run.ms.wft = null;
  }
  build((eventType, attributes) => {
    const ev = run.appendOrBuffer(eventType, attributes);
    return ev ? Number(ev.eventId) : -1;
  });
  if (!run.ms.wft) scheduleWorkflowTask(engine, run, 1);
}

export function addWorkflowEvent(engine: Engine, run: Run, eventType: number, attributes: IHistoryEvent): void {
  addWorkflowEvents(engine, run, (add) => {
    add(eventType, attributes);
  });
}

export function scheduleWorkflowTask(engine: Engine, run: Run, attempt: number): void {
  if (!run.isOpen || run.ms.wft || run.extras.awaitingBackoff) return;
  const sticky = run.extras.sticky;
  const queue = sticky ? sticky.queue : run.ms.taskQueue;
  const startToClose = msDuration(run.ms.taskTimeoutMs);
  if (attempt > 1) {
    run.ms.wft = {
      scheduledId: run.ms.nextEventId,
      startedId: 0,
      attempt,
      queue,
      sticky: !!sticky,
      scheduledTime: Date.now(),
      startedTime: 0,
      transient: true,
      generation: nextGeneration(),
    };
    run.touch(); // a transient task is not in history; the durable store keeps its attempt
  } else {
    run.append(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      workflowTaskScheduledEventAttributes: {
        taskQueue: sticky
          ? { name: queue, kind: KIND_STICKY, normalName: run.ms.taskQueue }
          : { name: queue, kind: KIND_NORMAL },
        startToCloseTimeout: startToClose,
        attempt: 1,
      },
    });
  }
  dispatchWorkflowTask(engine, run);
}

/** Puts the pending workflow task on its queue (also used to re-derive queues from mutable state). */
export function dispatchWorkflowTask(engine: Engine, run: Run): void {
  const wft = run.ms.wft;
  if (!wft || wft.startedId) return;
  const generation = wft.generation;
  engine.matching.offer<PollResponse>(run.namespace, 'workflow', wft.queue, (ctx) =>
    startWorkflowTask(engine, run, generation, ctx),
  );
  if (wft.sticky && run.extras.sticky) {
    engine.timers.set(runTimerKey(run, 'wft-s2s'), run.extras.sticky.scheduleToStartMs, () =>
      stickyTimeout(engine, run, generation),
    );
  }
}

function stickyTimeout(engine: Engine, run: Run, generation: number): void {
  const wft = run.ms.wft;
  if (!run.isOpen || !wft || wft.generation !== generation || wft.startedId) return;
  engine.logger.debug(
    { workflowId: run.workflowId, runId: run.runId },
    'sticky workflow task timed out, moving to normal queue',
  );
  run.extras.sticky = null;
  if (!wft.transient) {
    run.append(E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
      workflowTaskTimedOutEventAttributes: {
        scheduledEventId: wft.scheduledId,
        timeoutType: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
      },
    });
  }
  run.ms.wft = null;
  run.flushBuffered();
  scheduleWorkflowTask(engine, run, 1);
}

/** Moves a workflow task waiting on a sticky queue to the normal queue (ShutdownWorker, ResetStickyTaskQueue). */
export function unstick(engine: Engine, run: Run): void {
  const wft = run.ms.wft;
  if (wft && !wft.startedId && wft.sticky) {
    engine.timers.clear(runTimerKey(run, 'wft-s2s'));
    stickyTimeout(engine, run, wft.generation);
  }
  run.extras.sticky = null;
}

function startWorkflowTask(engine: Engine, run: Run, generation: number, ctx: PollContext): PollResponse | null {
  const wft = run.ms.wft;
  if (!run.isOpen || !wft || wft.generation !== generation || wft.startedId) return null;
  engine.timers.clear(runTimerKey(run, 'wft-s2s'));
  const now = Date.now();
  if (wft.transient) {
    wft.startedId = wft.scheduledId + 1;
    wft.startedTime = now;
  } else {
    run.append(
      E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      {
        workflowTaskStartedEventAttributes: startedAttributes(run, wft.scheduledId, ctx.identity, generation),
      },
      now,
    );
  }
  engine.timers.set(runTimerKey(run, 'wft-stc'), run.ms.taskTimeoutMs, () => {
    timeoutStartedWorkflowTask(engine, run, generation);
  });
  const firstId = wft.sticky ? run.ms.lastCompletedWftStartedId + 1 : 1;
  const events = run.events.filter((ev) => Number(ev.eventId) >= firstId);
  if (wft.transient) events.push(...transientEvents(run, ctx.identity));
  return {
    taskToken: encodeToken({
      k: 'wft',
      ns: run.namespace,
      wid: run.workflowId,
      rid: run.runId,
      sid: wft.scheduledId,
      att: wft.attempt,
      gen: generation,
    }),
    workflowExecution: run.execution,
    workflowType: { name: run.ms.workflowType },
    previousStartedEventId: run.ms.lastCompletedWftStartedId,
    startedEventId: wft.startedId,
    attempt: wft.attempt,
    backlogCountHint: 0,
    history: { events },
    workflowExecutionTaskQueue: { name: run.ms.taskQueue, kind: KIND_NORMAL },
    scheduledTime: tsFromMs(wft.scheduledTime),
    startedTime: tsFromMs(wft.startedTime),
    queries: takeQueries(run, generation),
    messages: outgoingMessages(run, wft.startedId),
  };
}

/** The real server's defaults for suggesting continue-as-new (limit.history{Count,Size}.suggestContinueAsNew). */
const SUGGEST_CAN_EVENTS = 4096;
const SUGGEST_CAN_BYTES = 4 * 1024 * 1024;

function startedAttributes(
  run: Run,
  scheduledId: number,
  identity: string,
  generation: number,
): IHistoryEvent['workflowTaskStartedEventAttributes'] {
  return {
    scheduledEventId: scheduledId,
    identity,
    requestId: `${generation}`,
    historySizeBytes: run.historySizeBytes,
    suggestContinueAsNew: run.events.length >= SUGGEST_CAN_EVENTS || run.historySizeBytes >= SUGGEST_CAN_BYTES,
  };
}

/** The scheduled/started pair of a transient task: shown to the worker, written only when it completes. */
function transientEvents(run: Run, identity: string): IHistoryEvent[] {
  const wft = run.ms.wft;
  if (!wft) return [];
  return [
    {
      eventId: wft.scheduledId,
      eventTime: tsFromMs(wft.scheduledTime),
      eventType: E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      workflowTaskScheduledEventAttributes: {
        taskQueue: { name: wft.queue, kind: KIND_NORMAL },
        startToCloseTimeout: msDuration(run.ms.taskTimeoutMs),
        attempt: wft.attempt,
      },
    },
    {
      eventId: wft.startedId,
      eventTime: tsFromMs(wft.startedTime),
      eventType: E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      workflowTaskStartedEventAttributes: startedAttributes(run, wft.scheduledId, identity, wft.generation),
    },
  ];
}

function timeoutStartedWorkflowTask(engine: Engine, run: Run, generation: number): void {
  const wft = run.ms.wft;
  if (!run.isOpen || !wft || wft.generation !== generation || !wft.startedId) return;
  engine.logger.debug(
    { workflowId: run.workflowId, runId: run.runId, attempt: wft.attempt },
    'workflow task timed out',
  );
  endWorkflowTask(engine, run, E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
    workflowTaskTimedOutEventAttributes: {
      scheduledEventId: wft.scheduledId,
      startedEventId: wft.startedId,
      timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
    },
  });
}

/**
 * Ends the started task with a failed/timed-out event (only written for attempt 1, as transient attempts leave no
 * trace), then schedules the next attempt: on a sticky queue the attempt is not counted and stickiness is dropped.
 */
export function endWorkflowTask(
  engine: Engine,
  run: Run,
  eventType: number,
  attributes: IHistoryEvent,
  reschedule = true,
): void {
  const wft = run.ms.wft;
  if (!wft) return;
  engine.timers.clear(runTimerKey(run, 'wft-stc'));
  engine.timers.clear(runTimerKey(run, 'wft-s2s'));
  const wasSticky = !!run.extras.sticky;
  run.extras.sticky = null;
  if (wft.transient) run.ms.wft = null;
  else run.append(eventType, attributes);
  const flushed = run.flushBuffered();
  if (reschedule) scheduleWorkflowTask(engine, run, wasSticky || flushed ? 1 : wft.attempt + 1);
  settleQueries(run);
}

/** Writes the scheduled/started events of a transient task that is about to complete. */
export function materializeTransient(run: Run, identity: string): void {
  const wft = run.ms.wft;
  if (!wft || !wft.transient) return;
  const { scheduledTime, startedTime, attempt, generation, queue } = wft;
  run.ms.wft = null;
  const scheduled = run.append(
    E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    {
      workflowTaskScheduledEventAttributes: {
        taskQueue: { name: queue, kind: KIND_NORMAL },
        startToCloseTimeout: msDuration(run.ms.taskTimeoutMs),
        attempt,
      },
    },
    scheduledTime,
  );
  run.append(
    E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    {
      workflowTaskStartedEventAttributes: startedAttributes(run, Number(scheduled.eventId), identity, generation),
    },
    startedTime,
  );
  const materialized = run.ms.wft as WorkflowTaskInfo | null;
  if (materialized) materialized.generation = generation;
}

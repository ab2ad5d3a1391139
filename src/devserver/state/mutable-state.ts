/**
 * Mutable state of one run, derived only by applying its history events in order (rebuildable from
 * history). Attempt bookkeeping that the real server keeps outside history lives in `RunExtras` (run.ts).
 */
import type {
  IHistoryEvent,
  IPayloads,
  IHeader,
  IRetryPolicy,
  IMemo,
  ISearchAttributes,
  IWorkflowExecution,
} from '../wire/proto.js';
import { EventType as E, durationMs, msFromTs, num } from '../wire/proto.js';

export type RunStatus = 'Running' | 'Completed' | 'Failed' | 'Canceled' | 'Terminated' | 'ContinuedAsNew' | 'TimedOut';

export interface WorkflowTaskInfo {
  scheduledId: number;
  startedId: number; // 0 until started
  attempt: number;
  queue: string;
  sticky: boolean;
  scheduledTime: number;
  startedTime: number;
  transient: boolean;
  generation: number;
}

export interface ActivityInfo {
  scheduledId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  input: IPayloads | null | undefined;
  header: IHeader | null | undefined;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retryPolicy: IRetryPolicy;
  scheduledTime: number;
  cancelRequested: boolean;
}

export interface ChildInfo {
  initiatedId: number;
  namespace: string;
  workflowId: string;
  workflowType: string;
  runId: string;
  parentClosePolicy: number;
  startedId: number;
}

export interface MutableState {
  status: RunStatus;
  nextEventId: number;
  workflowType: string;
  taskQueue: string;
  input: IPayloads | null | undefined;
  header: IHeader | null | undefined;
  startTime: number;
  executionTime: number;
  closeTime: number;
  runTimeoutMs: number;
  executionTimeoutMs: number;
  taskTimeoutMs: number;
  executionExpiration: number;
  firstRunId: string;
  attempt: number;
  memo: IMemo;
  searchAttributes: ISearchAttributes;
  parent: { namespace: string; execution: IWorkflowExecution; initiatedId: number } | null;
  root: IWorkflowExecution | null;
  startedEvent: IHistoryEvent | null;
  wft: WorkflowTaskInfo | null;
  lastCompletedWftStartedId: number;
  activities: Map<number, ActivityInfo>;
  activityIds: Map<string, number>;
  timers: Map<string, { startedId: number; fireAt: number }>;
  children: Map<number, ChildInfo>;
  externalSignals: Set<number>;
  externalCancels: Set<number>;
  cancelRequested: boolean;
  closeEvent: IHistoryEvent | null;
}

export function newMutableState(): MutableState {
  return {
    status: 'Running',
    nextEventId: 1,
    workflowType: '',
    taskQueue: '',
    input: null,
    header: null,
    startTime: 0,
    executionTime: 0,
    closeTime: 0,
    runTimeoutMs: 0,
    executionTimeoutMs: 0,
    taskTimeoutMs: 10_000,
    executionExpiration: 0,
    firstRunId: '',
    attempt: 1,
    memo: { fields: {} },
    searchAttributes: { indexedFields: {} },
    parent: null,
    root: null,
    startedEvent: null,
    wft: null,
    lastCompletedWftStartedId: 0,
    activities: new Map(),
    activityIds: new Map(),
    timers: new Map(),
    children: new Map(),
    externalSignals: new Set(),
    externalCancels: new Set(),
    cancelRequested: false,
    closeEvent: null,
  };
}

const closeStatus: Partial<Record<number, RunStatus>> = {
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]: 'Completed',
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED]: 'Failed',
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED]: 'Canceled',
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED]: 'Terminated',
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW]: 'ContinuedAsNew',
  [E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT]: 'TimedOut',
};

// Generations live in task tokens: starting from the clock keeps a restarted engine from reissuing one an
// old worker still holds.
let wftGeneration = Date.now() * 1000;
export function nextGeneration(): number {
  wftGeneration += 1;
  return wftGeneration;
}

function applyStarted(ms: MutableState, ev: IHistoryEvent): void {
  const a = ev.workflowExecutionStartedEventAttributes ?? {};
  ms.startedEvent = ev;
  ms.workflowType = a.workflowType?.name ?? '';
  ms.taskQueue = a.taskQueue?.name ?? '';
  ms.input = a.input;
  ms.header = a.header;
  ms.startTime = msFromTs(ev.eventTime);
  ms.executionTime = ms.startTime + durationMs(a.firstWorkflowTaskBackoff);
  ms.runTimeoutMs = durationMs(a.workflowRunTimeout);
  ms.executionTimeoutMs = durationMs(a.workflowExecutionTimeout);
  ms.taskTimeoutMs = durationMs(a.workflowTaskTimeout) || 10_000;
  ms.executionExpiration = msFromTs(a.workflowExecutionExpirationTime);
  ms.firstRunId = a.firstExecutionRunId ?? '';
  ms.attempt = a.attempt || 1;
  ms.memo = { fields: { ...(a.memo?.fields ?? {}) } };
  ms.searchAttributes = { indexedFields: { ...(a.searchAttributes?.indexedFields ?? {}) } };
  ms.parent = a.parentWorkflowExecution
    ? {
        namespace: a.parentWorkflowNamespace ?? '',
        execution: a.parentWorkflowExecution,
        initiatedId: num(a.parentInitiatedEventId),
      }
    : null;
  ms.root = a.rootWorkflowExecution ?? null;
}

function applyActivityScheduled(ms: MutableState, ev: IHistoryEvent): void {
  const a = ev.activityTaskScheduledEventAttributes ?? {};
  const id = num(ev.eventId);
  ms.activities.set(id, {
    scheduledId: id,
    activityId: a.activityId ?? '',
    activityType: a.activityType?.name ?? '',
    taskQueue: a.taskQueue?.name ?? ms.taskQueue,
    input: a.input,
    header: a.header,
    scheduleToCloseMs: durationMs(a.scheduleToCloseTimeout),
    scheduleToStartMs: durationMs(a.scheduleToStartTimeout),
    startToCloseMs: durationMs(a.startToCloseTimeout),
    heartbeatMs: durationMs(a.heartbeatTimeout),
    retryPolicy: a.retryPolicy ?? {},
    scheduledTime: msFromTs(ev.eventTime),
    cancelRequested: false,
  });
  ms.activityIds.set(a.activityId ?? '', id);
}

function closeActivity(ms: MutableState, scheduledId: number): void {
  const info = ms.activities.get(scheduledId);
  if (info) ms.activityIds.delete(info.activityId);
  ms.activities.delete(scheduledId);
}

function applyWorkflowTaskEvent(ms: MutableState, ev: IHistoryEvent, t: number): boolean {
  const id = num(ev.eventId);
  switch (t) {
    case E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: {
      const a = ev.workflowTaskScheduledEventAttributes ?? {};
      const queue = a.taskQueue?.name ?? ms.taskQueue;
      ms.wft = {
        scheduledId: id,
        startedId: 0,
        attempt: a.attempt || 1,
        queue,
        sticky: queue !== ms.taskQueue,
        scheduledTime: msFromTs(ev.eventTime),
        startedTime: 0,
        transient: false,
        generation: nextGeneration(),
      };
      return true;
    }
    case E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
      if (ms.wft) {
        ms.wft.startedId = id;
        ms.wft.startedTime = msFromTs(ev.eventTime);
      }
      return true;
    case E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
      ms.lastCompletedWftStartedId = num(ev.workflowTaskCompletedEventAttributes?.startedEventId);
      ms.wft = null;
      return true;
    case E.EVENT_TYPE_WORKFLOW_TASK_FAILED:
    case E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
      ms.wft = null;
      return true;
    default:
      return false;
  }
}

/** Applies one persisted event. The only place that derives state from history. */
export function applyEvent(ms: MutableState, ev: IHistoryEvent): void {
  const t = ev.eventType ?? 0;
  ms.nextEventId = num(ev.eventId) + 1;
  if (applyWorkflowTaskEvent(ms, ev, t)) return;
  const closed = closeStatus[t];
  if (closed) {
    ms.status = closed;
    ms.closeTime = msFromTs(ev.eventTime);
    ms.closeEvent = ev;
    ms.wft = null;
    return;
  }
  switch (t) {
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
      applyStarted(ms, ev);
      break;
    case E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
      applyActivityScheduled(ms, ev);
      break;
    case E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: {
      const info = ms.activities.get(num(ev.activityTaskCancelRequestedEventAttributes?.scheduledEventId));
      if (info) info.cancelRequested = true;
      break;
    }
    case E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      closeActivity(ms, num(ev.activityTaskCompletedEventAttributes?.scheduledEventId));
      break;
    case E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      closeActivity(ms, num(ev.activityTaskFailedEventAttributes?.scheduledEventId));
      break;
    case E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      closeActivity(ms, num(ev.activityTaskTimedOutEventAttributes?.scheduledEventId));
      break;
    case E.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
      closeActivity(ms, num(ev.activityTaskCanceledEventAttributes?.scheduledEventId));
      break;
    case E.EVENT_TYPE_TIMER_STARTED: {
      const a = ev.timerStartedEventAttributes ?? {};
      ms.timers.set(a.timerId ?? '', {
        startedId: num(ev.eventId),
        fireAt: msFromTs(ev.eventTime) + durationMs(a.startToFireTimeout),
      });
      break;
    }
    case E.EVENT_TYPE_TIMER_FIRED:
      ms.timers.delete(ev.timerFiredEventAttributes?.timerId ?? '');
      break;
    case E.EVENT_TYPE_TIMER_CANCELED:
      ms.timers.delete(ev.timerCanceledEventAttributes?.timerId ?? '');
      break;
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
      ms.cancelRequested = true;
      break;
    case E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      Object.assign(
        (ms.searchAttributes.indexedFields ??= {}),
        ev.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
      );
      break;
    case E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
      Object.assign((ms.memo.fields ??= {}), ev.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields ?? {});
      break;
    default:
      applyChildEvent(ms, ev, t);
  }
}

function applyChildEvent(ms: MutableState, ev: IHistoryEvent, t: number): void {
  const id = num(ev.eventId);
  switch (t) {
    case E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
      const a = ev.startChildWorkflowExecutionInitiatedEventAttributes ?? {};
      ms.children.set(id, {
        initiatedId: id,
        namespace: a.namespace ?? '',
        workflowId: a.workflowId ?? '',
        workflowType: a.workflowType?.name ?? '',
        runId: '',
        parentClosePolicy: a.parentClosePolicy ?? 0,
        startedId: 0,
      });
      break;
    }
    case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
      const a = ev.childWorkflowExecutionStartedEventAttributes ?? {};
      const child = ms.children.get(num(a.initiatedEventId));
      if (child) {
        child.runId = a.workflowExecution?.runId ?? '';
        child.startedId = id;
      }
      break;
    }
    case E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
      ms.children.delete(num(ev.startChildWorkflowExecutionFailedEventAttributes?.initiatedEventId));
      break;
    case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
    case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
    case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
    case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
    case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: {
      const attrs =
        ev.childWorkflowExecutionCompletedEventAttributes ??
        ev.childWorkflowExecutionFailedEventAttributes ??
        ev.childWorkflowExecutionCanceledEventAttributes ??
        ev.childWorkflowExecutionTerminatedEventAttributes ??
        ev.childWorkflowExecutionTimedOutEventAttributes;
      ms.children.delete(num(attrs?.initiatedEventId));
      break;
    }
    case E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      ms.externalSignals.add(id);
      break;
    case E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
      ms.externalSignals.delete(num(ev.externalWorkflowExecutionSignaledEventAttributes?.initiatedEventId));
      break;
    case E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
      ms.externalSignals.delete(num(ev.signalExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId));
      break;
    case E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      ms.externalCancels.add(id);
      break;
    case E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
      ms.externalCancels.delete(num(ev.externalWorkflowExecutionCancelRequestedEventAttributes?.initiatedEventId));
      break;
    case E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
      ms.externalCancels.delete(num(ev.requestCancelExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId));
      break;
    default:
      break;
  }
}

/**
 * A handler run's story from its workflow history, for `supervisor logs` and `supervisor tasks`: the flag
 * it was started with, each activity with its attempts, duration and failure (the steps that ran after a
 * failure in an update marked as compensation), and how the run ended. Works on any server's history.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure | null | undefined;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

export interface TimelineEntry {
  /** Milliseconds since the run started. */
  offsetMs: number;
  kind: 'activity' | 'signal' | 'update' | 'timer' | 'cancel' | 'end';
  name: string;
  outcome: string;
  durationMs: number | null;
  attempt: number | null;
  error: string | null;
  compensation: boolean;
}

/** How a run ended, from its close event; null while it runs. */
export interface RunEnd {
  status: 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed_out' | 'continued';
  result: unknown;
  error: string | null;
  atMs: number;
}

export interface RunStory {
  startMs: number;
  input: Record<string, unknown> | null;
  entries: TimelineEntry[];
  /** Activities scheduled and not closed yet, keyed by their scheduled event id. */
  inFlight: Map<string, TimelineEntry>;
  end: RunEnd | null;
  /** The approval the run asked for (from its audit steps): null when it needed none. */
  approval: 'pending' | 'approved' | null;
}

const COMPENSATING_TYPES = new Set(['update_code', 'update_code_deps']);
/** Every handler's closing steps: the undo is over once they run. */
const REPORTING = new Set(['recordAudit', 'writeResult']);

export function eventMs(event: Event): number {
  const time = event.eventTime;
  if (!time) return 0;
  return Number(time.seconds ?? 0) * 1000 + Math.round((time.nanos ?? 0) / 1e6);
}

function decode(payloads: Payloads): unknown {
  const first = payloads?.payloads?.[0];
  return first ? defaultPayloadConverter.fromPayload(first) : undefined;
}

/** `Type: message`, following causes: the activity's own error is usually the cause of the wrapper. */
export function failureText(failure: Failure): string {
  const parts: string[] = [];
  for (let f = failure; f; f = f.cause) {
    const type = f.applicationFailureInfo?.type;
    const message = f.message ?? '';
    if (message === 'Activity task failed' || message === 'Activity task timed out') continue;
    parts.push(type ? `${type}: ${message}` : message);
  }
  return parts.join(' <- ') || 'failed';
}

interface Pending {
  name: string;
  scheduledMs: number;
  attempt: number | null;
  compensation: boolean;
}

function endOf(event: Event): RunEnd | null {
  const atMs = eventMs(event);
  if (event.workflowExecutionCompletedEventAttributes)
    return {
      status: 'completed',
      result: decode(event.workflowExecutionCompletedEventAttributes.result),
      error: null,
      atMs,
    };
  if (event.workflowExecutionFailedEventAttributes)
    return {
      status: 'failed',
      result: undefined,
      error: failureText(event.workflowExecutionFailedEventAttributes.failure),
      atMs,
    };
  if (event.workflowExecutionCanceledEventAttributes)
    return { status: 'canceled', result: undefined, error: 'cancelled', atMs };
  if (event.workflowExecutionTerminatedEventAttributes)
    return {
      status: 'terminated',
      result: undefined,
      error: event.workflowExecutionTerminatedEventAttributes.reason || 'terminated',
      atMs,
    };
  if (event.workflowExecutionTimedOutEventAttributes)
    return { status: 'timed_out', result: undefined, error: 'timed out', atMs };
  if (event.workflowExecutionContinuedAsNewEventAttributes)
    return { status: 'continued', result: undefined, error: null, atMs };
  return null;
}

/** Reads a run's history into its story. `workflowType` decides whether steps after a failure are compensation. */
export function storyOf(events: readonly Event[], workflowType: string): RunStory {
  const first = events[0];
  const startMs = first ? eventMs(first) : 0;
  const started = first?.workflowExecutionStartedEventAttributes;
  const input = decode(started?.input);
  const story: RunStory = {
    startMs,
    input: typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : null,
    entries: [],
    inFlight: new Map(),
    end: null,
    approval: null,
  };
  const pending = new Map<string, Pending>();
  let failed = false;
  const compensating = COMPENSATING_TYPES.has(workflowType);
  const push = (entry: Omit<TimelineEntry, 'offsetMs'>, atMs: number): void => {
    story.entries.push({ ...entry, offsetMs: atMs - startMs });
  };
  const close = (id: unknown, event: Event, outcome: string, failure?: Failure): void => {
    const key = String(id);
    const run = pending.get(key);
    if (!run) return;
    pending.delete(key);
    const atMs = eventMs(event);
    // From the schedule: servers may write the started event only with the outcome (retried activities).
    const from = run.scheduledMs;
    push(
      {
        kind: 'activity',
        name: run.name,
        outcome,
        durationMs: atMs - from,
        attempt: run.attempt,
        error: failure === undefined ? null : failureText(failure),
        compensation: run.compensation,
      },
      from,
    );
    if (outcome !== 'completed' && compensating) failed = true;
  };
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const name = scheduled.activityType?.name ?? '?';
      if (REPORTING.has(name)) failed = false;
      if (name === 'recordAudit') story.approval = approvalStep(scheduled.input) ?? story.approval;
      pending.set(String(event.eventId), {
        name,
        scheduledMs: eventMs(event),
        attempt: null,
        compensation: failed,
      });
      continue;
    }
    const startedAttrs = event.activityTaskStartedEventAttributes;
    if (startedAttrs) {
      const run = pending.get(String(startedAttrs.scheduledEventId));
      if (run) {
        run.attempt = startedAttrs.attempt ?? 1;
      }
      continue;
    }
    if (event.activityTaskCompletedEventAttributes)
      close(event.activityTaskCompletedEventAttributes.scheduledEventId, event, 'completed');
    else if (event.activityTaskFailedEventAttributes)
      close(
        event.activityTaskFailedEventAttributes.scheduledEventId,
        event,
        'failed',
        event.activityTaskFailedEventAttributes.failure,
      );
    else if (event.activityTaskTimedOutEventAttributes)
      close(
        event.activityTaskTimedOutEventAttributes.scheduledEventId,
        event,
        'timed out',
        event.activityTaskTimedOutEventAttributes.failure,
      );
    else if (event.activityTaskCanceledEventAttributes)
      close(event.activityTaskCanceledEventAttributes.scheduledEventId, event, 'cancelled');
    // The workflow does not wait for the activity to confirm (TRY_CANCEL): its step ends with the request.
    else if (event.activityTaskCancelRequestedEventAttributes)
      close(event.activityTaskCancelRequestedEventAttributes.scheduledEventId, event, 'cancelled');
    else if (event.workflowExecutionCancelRequestedEventAttributes) {
      const { cause, identity } = event.workflowExecutionCancelRequestedEventAttributes;
      const by = [cause, identity].filter(Boolean).join(', ');
      push(simple('cancel', 'cancel requested', by), eventMs(event));
    } else if (event.workflowExecutionSignaledEventAttributes)
      push(
        simple('signal', `signal ${event.workflowExecutionSignaledEventAttributes.signalName ?? '?'}`, 'received'),
        eventMs(event),
      );
    else if (event.signalExternalWorkflowExecutionInitiatedEventAttributes) {
      const attrs = event.signalExternalWorkflowExecutionInitiatedEventAttributes;
      push(
        simple('signal', `signal ${attrs.signalName ?? '?'} to ${attrs.workflowExecution?.workflowId ?? '?'}`, 'sent'),
        eventMs(event),
      );
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      const attrs = event.workflowExecutionUpdateAcceptedEventAttributes;
      const name = attrs.acceptedRequest?.input?.name ?? '?';
      const by = (decode(attrs.acceptedRequest?.input?.args) as { by?: unknown } | undefined)?.by;
      push(
        simple('update', `update ${name}`, typeof by === 'string' ? `accepted from ${by}` : 'accepted'),
        eventMs(event),
      );
    } else if (event.workflowExecutionUpdateCompletedEventAttributes) {
      const failure = event.workflowExecutionUpdateCompletedEventAttributes.outcome?.failure;
      if (failure) push({ ...simple('update', 'update', 'refused'), error: failureText(failure) }, eventMs(event));
    } else if (event.timerFiredEventAttributes) push(simple('timer', 'timer', 'fired'), eventMs(event));
    else {
      const end = endOf(event);
      if (end) {
        story.end = end;
        push(simple('end', `workflow ${end.status}`, end.error ?? ''), end.atMs);
      }
    }
  }
  for (const [id, run] of pending)
    story.inFlight.set(id, {
      kind: 'activity',
      name: run.name,
      outcome: 'running',
      durationMs: null,
      attempt: run.attempt,
      error: null,
      compensation: run.compensation,
      offsetMs: run.scheduledMs - startMs,
    });
  return story;
}

/** A handler's audit step that opens or grants its approval (contract/approvals.ts APPROVAL_ACTIONS). */
function approvalStep(input: Payloads): 'pending' | 'approved' | null {
  const action = (decode(input) as { action?: unknown } | undefined)?.action;
  return action === 'approval_requested' ? 'pending' : action === 'approved' ? 'approved' : null;
}

function simple(kind: TimelineEntry['kind'], name: string, outcome: string): Omit<TimelineEntry, 'offsetMs'> {
  return { kind, name, outcome, durationMs: null, attempt: null, error: null, compensation: false };
}

export const TASK_STATUSES = [
  'running',
  'awaiting_approval',
  'completed',
  'failed',
  'rejected',
  'expired',
  'canceled',
  'terminated',
  'timed_out',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/**
 * The task's state in the operator's sense: a run that completed with `success: false` in its result
 * failed (or was rejected, or its approval expired); a running one may await its approval.
 * `execution` is the SDK's status name (RUNNING, COMPLETED, CANCELLED, ...).
 */
export function taskStatusOf(execution: string, story: Pick<RunStory, 'end' | 'approval'>): TaskStatus {
  const { end } = story;
  switch (execution) {
    case 'RUNNING':
      return story.approval === 'pending' ? 'awaiting_approval' : 'running';
    case 'FAILED':
      return 'failed';
    case 'CANCELLED':
      return 'canceled';
    case 'TERMINATED':
      return 'terminated';
    case 'TIMED_OUT':
      return 'timed_out';
    default: {
      const result = end?.result as { success?: unknown; details?: { approval?: { status?: unknown } } } | undefined;
      if (result?.success !== false) return 'completed';
      const approval = result.details?.approval?.status;
      return approval === 'rejected' || approval === 'expired' ? approval : 'failed';
    }
  }
}

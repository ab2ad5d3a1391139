/**
 * What the real scheduler does through its local activities: start the action's workflow, look at a
 * started run's status (following retries and continue-as-new by workflow id), cancel or terminate it.
 */
import { randomUUID } from 'node:crypto';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { IPayload, ISearchAttributes } from '../wire/proto.js';
import { WorkflowExecutionStatus, durationMs, temporal } from '../wire/proto.js';
import { startWorkflow } from '../core/start.js';
import { requestCancelRun } from '../core/control.js';
import { terminateRun } from '../core/close.js';
import type { ActionRecord, BufferedStart, ScheduleRecord } from './state.js';
import { Overlap } from './state.js';

const Reuse = temporal.api.enums.v1.WorkflowIdReusePolicy;
const S = WorkflowExecutionStatus;
const STATUS: Record<string, number> = {
  Running: S.WORKFLOW_EXECUTION_STATUS_RUNNING,
  Completed: S.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  Failed: S.WORKFLOW_EXECUTION_STATUS_FAILED,
  Canceled: S.WORKFLOW_EXECUTION_STATUS_CANCELED,
  Terminated: S.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  ContinuedAsNew: S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
  TimedOut: S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
};

export function schedulerIdentity(rec: ScheduleRecord): string {
  return `temporal-scheduler-${rec.namespace}-${rec.scheduleId}`;
}

/** Go's time.RFC3339 for a UTC time at whole seconds: 2009-11-10T23:00:00Z. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function jsonPayload(value: unknown, type: string): IPayload {
  // The type metadata is what the server's search attribute type map adds on the way out.
  return {
    metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from(type) },
    data: Buffer.from(JSON.stringify(value)),
  };
}

function withScheduleAttributes(
  rec: ScheduleRecord,
  attrs: ISearchAttributes | null | undefined,
  nominalMs: number,
): ISearchAttributes {
  return {
    indexedFields: {
      ...(attrs?.indexedFields ?? {}),
      TemporalScheduledStartTime: jsonPayload(rfc3339(nominalMs), 'Datetime'),
      TemporalScheduledById: jsonPayload(rec.scheduleId, 'Keyword'),
    },
  };
}

/** Starts the action's workflow for one buffered start; throws the engine's RpcError if it cannot. */
export function startAction(engine: Engine, rec: ScheduleRecord, start: BufferedStart): ActionRecord {
  const wf = rec.schedule.action?.startWorkflow;
  if (!wf) throw new Error('schedule has no start workflow action');
  // The server appends the nominal time at whole seconds (AlwaysAppendTimestamp) unless told to keep the id.
  const keep = rec.schedule.policies?.keepOriginalWorkflowId === true;
  const workflowId = keep ? (wf.workflowId ?? '') : `${wf.workflowId ?? ''}-${rfc3339(start.nominalMs)}`;
  // ALLOW_ALL runs take no part in last completion result / continued failure.
  const carry =
    start.overlapPolicy !== Overlap.ALLOW_ALL && (rec.internal.lastCompletionResult || rec.internal.continuedFailure);
  const { run } = startWorkflow(engine, {
    namespace: rec.namespace,
    workflowId,
    workflowType: wf.workflowType?.name ?? '',
    taskQueue: wf.taskQueue?.name ?? '',
    requestId: randomUUID(),
    identity: schedulerIdentity(rec),
    input: wf.input,
    header: wf.header,
    memo: wf.memo,
    searchAttributes: withScheduleAttributes(rec, wf.searchAttributes, start.nominalMs),
    executionTimeoutMs: durationMs(wf.workflowExecutionTimeout),
    runTimeoutMs: durationMs(wf.workflowRunTimeout),
    taskTimeoutMs: durationMs(wf.workflowTaskTimeout),
    retryPolicy: wf.retryPolicy,
    // Scheduled starts reject duplicates (a guard against double starts); manual ones may repeat an id.
    reusePolicy: start.manual
      ? Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
      : Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
    userMetadata: wf.userMetadata,
    // Only the started event's lastCompletionResult/continuedFailure are set: no continued-from run id.
    continued: carry
      ? {
          runId: '',
          initiator: 0,
          lastCompletionResult: rec.internal.lastCompletionResult,
          failure: rec.internal.continuedFailure,
        }
      : undefined,
  });
  return {
    scheduleTimeMs: start.actualMs,
    actualTimeMs: run.ms.startTime || Date.now(),
    workflowId,
    runId: run.runId,
    status: S.WORKFLOW_EXECUTION_STATUS_RUNNING,
  };
}

/** The latest run of a started workflow id whose chain began with `firstRunId` (retries and continue-as-new). */
export function latestRun(engine: Engine, namespace: string, workflowId: string, firstRunId: string): Run | undefined {
  const run = engine.store.get(namespace, workflowId);
  if (!run) return undefined;
  return run.runId === firstRunId || run.ms.firstRunId === firstRunId ? run : undefined;
}

export function statusOf(run: Run | undefined): number {
  // A run deleted by retention is long closed; report it as completed like a missing describe would not block.
  if (!run) return S.WORKFLOW_EXECUTION_STATUS_COMPLETED;
  return STATUS[run.ms.status] ?? S.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED;
}

export function stopRun(engine: Engine, rec: ScheduleRecord, run: Run | undefined, terminate: boolean): void {
  if (!run?.isOpen) return;
  if (terminate) terminateRun(engine, run, 'terminated by schedule overlap policy', schedulerIdentity(rec));
  else requestCancelRun(engine, run, 'cancelled by schedule overlap policy', schedulerIdentity(rec), '');
}

/**
 * Updates what the schedule knows of the runs it started (the server's refresh / watcher result): closed
 * runs leave the running list, their status shows in recent actions, their result or failure is carried
 * to the next run, and pause-on-failure applies.
 */
export function refreshRunning(engine: Engine, rec: ScheduleRecord): void {
  rec.info.running = rec.info.running.filter((ex) => {
    const run = latestRun(engine, rec.namespace, ex.workflowId, ex.runId);
    const status = statusOf(run);
    if (status === S.WORKFLOW_EXECUTION_STATUS_RUNNING) return true;
    const recent = rec.info.recentActions.find((a) => a.workflowId === ex.workflowId);
    if (recent) recent.status = status;
    const close = run?.ms.closeEvent;
    const completed = close?.workflowExecutionCompletedEventAttributes;
    const failed = close?.workflowExecutionFailedEventAttributes;
    if (completed) {
      rec.internal.lastCompletionResult = completed.result ?? null;
      rec.internal.continuedFailure = null;
    } else if (failed) {
      rec.internal.continuedFailure = failed.failure ?? null;
    }
    const failedStatus =
      status === S.WORKFLOW_EXECUTION_STATUS_FAILED || status === S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT;
    const state = rec.schedule.state ?? (rec.schedule.state = {});
    if (rec.schedule.policies?.pauseOnFailure && failedStatus && !state.paused) {
      state.paused = true;
      state.notes = failed
        ? `paused due to workflow failure: ${ex.workflowId}: ${failed.failure?.message ?? ''}`
        : `paused due to workflow timeout: ${ex.workflowId}`;
      rec.internal.conflictToken++;
    }
    return false;
  });
}

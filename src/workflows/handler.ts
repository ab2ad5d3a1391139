/**
 * What every handler workflow does around its own work: read the worker's settings, hold the lock
 * when it touches the watcher or the code, turn failures into a result, then audit and write the
 * result file whatever happened (even when cancelled).
 */
import { ActivityFailure, ApplicationFailure, CancellationScope, isCancellation, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type { HandlerInput, HandlerResult, ResultFile, WorkerSettings } from './definitions.js';
import { handlerPhaseQuery } from './definitions.js';
import { checkWorkflowId, validatedInput } from './input.js';
import { withWorkerLock } from './lock-client.js';
import { io } from './proxies.js';

export interface HandlerContext {
  flag: HandlerInput;
  settings: WorkerSettings;
  /** Logs with the `[<task_id> - <label>]` prefix SPEC asks for. */
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

/** The root cause's message: an activity failure wraps the activity's own error. */
export function failureMessage(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause !== undefined ? error.cause : error;
  return cause instanceof Error ? cause.message : String(error);
}

/** The ApplicationFailure type behind an error (e.g. GitConflict), if any. */
export function failureType(error: unknown): string | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

export function failureDetails(error: unknown): Record<string, unknown> | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const first = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
}

/** The result of a check that failed before the watcher was stopped: nothing was touched, and it says so. */
export function refusedBeforeStop(error: unknown, details: Record<string, unknown> = {}): HandlerResult {
  return { success: false, error: failureMessage(error), details: { ...details, ...failureDetails(error), failure_type: failureType(error) ?? null, watcher_stopped: false } };
}

export interface HandlerOptions {
  /** Stops, starts or changes the watcher or the code: runs under the per-worker lock. */
  exclusive: boolean;
}

/**
 * Validates the input and the workflow id first: a refused input fails the workflow (non-retryable
 * InvalidHandlerInput, every problem named) with no audit row, no result file and nothing else done,
 * since an unchecked task id must not name a file nor stand in for a real task's record.
 */
export async function runHandler(input: unknown, options: HandlerOptions, work: (ctx: HandlerContext) => Promise<HandlerResult>): Promise<HandlerResult> {
  let phase = 'starting';
  setHandler(handlerPhaseQuery, () => phase);
  const info = workflowInfo();
  let flag: HandlerInput;
  try {
    flag = validatedInput(input, info.workflowType);
  } catch (error) {
    log.warn('handler input refused', { workflow_id: info.workflowId, workflow_type: info.workflowType, error: failureMessage(error) });
    throw error;
  }
  const prefix = `[${flag.task_id} - ${flag.label ?? ''}]`;
  const meta = { task_id: flag.task_id, handler: flag.handler, label: flag.label ?? null };
  const ctx: Omit<HandlerContext, 'settings'> = {
    flag,
    info: (message, extra) => log.info(`${prefix} ${message}`, { ...meta, ...extra }),
    warn: (message, extra) => log.warn(`${prefix} ${message}`, { ...meta, ...extra }),
  };
  // Read-only: the worker id this worker serves, needed to check the workflow id.
  const settings = await io.workerSettings();
  try {
    checkWorkflowId(info.workflowId, settings.workerId, flag);
  } catch (error) {
    ctx.warn('workflow id refused', { workflow_id: info.workflowId, error: failureMessage(error) });
    throw error;
  }
  ctx.info('started', { requested_by: flag.requested_by ?? null });

  let result: HandlerResult;
  let cancelled: unknown;
  try {
    const full: HandlerContext = { ...ctx, settings };
    const running = () => {
      phase = 'running';
    };
    if (options.exclusive) {
      phase = 'waiting-for-lock';
      result = await withWorkerLock(settings.workerId, flag.handler, running, () => work(full));
    } else {
      running();
      result = await work(full);
    }
  } catch (error) {
    if (isCancellation(error)) cancelled = error;
    const failure = cancelled === undefined ? failureMessage(error) : 'cancelled';
    result = { success: false, error: failure, details: { ...failureDetails(error), failure_type: failureType(error) ?? null } };
  }

  phase = 'reporting';
  await CancellationScope.nonCancellable(() => report(flag, settings.workerId, result));
  phase = 'done';
  if (result.success) ctx.info('succeeded', { details: result.details });
  else ctx.warn('failed', { error: result.error, details: result.details });
  if (cancelled !== undefined) throw cancelled;
  return result;
}

/** Audit row (with label and actor) and `Worker_Outbox/<workerId>/<task_id>.result.json`. */
async function report(flag: HandlerInput, workerId: string, result: HandlerResult): Promise<void> {
  const actor = flag.requested_by ?? null;
  const label = flag.label ?? null;
  const action = result.success ? 'completed' : result.error === 'cancelled' ? 'cancelled' : 'failed';
  const details = result.error === undefined ? result.details : { ...result.details, error: result.error };
  await io.recordAudit({ task_id: flag.task_id, handler: flag.handler, label, action, success: result.success, details, actor });
  const file: ResultFile = {
    ...result,
    task_id: flag.task_id,
    handler: flag.handler,
    label,
    worker_id: workerId,
    requested_by: actor,
    started_at: workflowInfo().startTime.toISOString(),
    // Workflow time: deterministic, and the moment the result was decided.
    finished_at: new Date().toISOString(),
  };
  await io.writeResult({ taskId: flag.task_id, result: file });
}

/**
 * What every handler workflow does around its own work: read the worker's settings, hold the lock
 * when it touches the watcher or the code, turn failures into a result, then audit and write the
 * result file whatever happened (even when cancelled).
 */
import { CancellationScope, isCancellation, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type {
  CancelRequest,
  FailureDetails,
  HandlerInput,
  HandlerResult,
  RefusedDetails,
  ResultFile,
  WorkerSettings,
} from '../../contract/handlers.js';
import { cancelRequestedSignal, handlerPhaseQuery } from '../../contract/handlers.js';
import type { ApprovalState } from '../../contract/approvals.js';
import { priorityOf } from '../../flags/handlers.js';
import { failureDetails, failureMessage, failureType } from '../failures.js';
import { withWorkerLock } from '../lock/with-worker-lock.js';
import { approvalExpiryMs, approvalGate, unapprovedError } from './approval.js';
import { checkWorkflowId, validatedInput } from './input.js';
import { io } from './proxies.js';

export interface HandlerContext {
  flag: HandlerInput;
  settings: WorkerSettings;
  /** Logs with the `[<task_id> - <label>]` prefix SPEC asks for. */
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  /** Details the result carries should the work end cancelled (what the compensation did). */
  onCancelReport(details: object): void;
}

/** The details of a failure: its own details (e.g. GitConflict's commit and files) and its type. */
export function failedDetails(error: unknown): FailureDetails {
  return { ...failureDetails(error), failure_type: failureType(error) ?? null };
}

/** The result of a check that failed before the watcher was stopped: nothing was touched, and it says so. */
export function refusedBeforeStop<D extends object>(error: unknown, details: D): HandlerResult<D & RefusedDetails>;
export function refusedBeforeStop(error: unknown): HandlerResult<RefusedDetails>;
export function refusedBeforeStop(error: unknown, details: object = {}): HandlerResult<RefusedDetails> {
  return {
    success: false,
    error: failureMessage(error),
    details: { ...details, ...failedDetails(error), watcher_stopped: false },
  };
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
export async function runHandler<D extends object>(
  input: unknown,
  options: HandlerOptions,
  work: (ctx: HandlerContext) => Promise<HandlerResult<D>>,
): Promise<HandlerResult<D | FailureDetails>> {
  let phase = 'starting';
  setHandler(handlerPhaseQuery, () => phase);
  // A signal handler adds no command: histories without the signal replay unchanged.
  let cancelRequest: CancelRequest | undefined;
  setHandler(cancelRequestedSignal, (request) => {
    cancelRequest = request;
  });
  const info = workflowInfo();
  let flag: HandlerInput;
  try {
    flag = validatedInput(input, info.workflowType);
  } catch (error) {
    log.warn('handler input refused', {
      workflow_id: info.workflowId,
      workflow_type: info.workflowType,
      error: failureMessage(error),
    });
    throw error;
  }
  // Registered before the first await: a decision sent early is answered, not dropped.
  const gate = approvalGate(flag);
  const prefix = `[${flag.task_id} - ${flag.label ?? ''}]`;
  const meta = { task_id: flag.task_id, handler: flag.handler, label: flag.label ?? null };
  let cancelledDetails: object = {};
  const ctx: Omit<HandlerContext, 'settings'> = {
    flag,
    onCancelReport: (details) => {
      cancelledDetails = details;
    },
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

  let result: HandlerResult<D | FailureDetails>;
  let cancelled: unknown;
  let approval: ApprovalState | null = null;
  try {
    const full: HandlerContext = { ...ctx, settings };
    const running = () => {
      phase = 'running';
    };
    const expiresMs = approvalExpiryMs(flag, settings.approvals);
    if (expiresMs !== null) phase = 'awaiting-approval';
    approval = expiresMs === null ? null : await gate.wait(settings, expiresMs);
    if (approval !== null && approval.status !== 'approved') {
      result = {
        success: false,
        error: unapprovedError(approval),
        details: { approval, executed: false, failure_type: null },
      };
    } else if (options.exclusive) {
      phase = 'waiting-for-lock';
      const ask = { handler: flag.handler, priority: priorityOf(flag.handler), requestedAt: info.startTime.getTime() };
      result = await withWorkerLock(settings.workerId, ask, running, () => work(full));
    } else {
      running();
      result = await work(full);
    }
  } catch (error) {
    if (isCancellation(error)) cancelled = error;
    const failure = cancelled === undefined ? failureMessage(error) : 'cancelled';
    const extra = cancelled === undefined ? {} : { ...cancelledDetails, ...cancelledBy(cancelRequest) };
    result = { success: false, error: failure, details: { ...extra, ...failedDetails(error) } };
  }

  // Approved: the result says by whom too, whatever the work did.
  if (approval?.status === 'approved') result = { ...result, details: { ...result.details, approval } };
  phase = 'reporting';
  await CancellationScope.nonCancellable(() => report(flag, settings.workerId, result));
  phase = 'done';
  if (result.success) ctx.info('succeeded', { details: result.details });
  else ctx.warn('failed', { error: result.error, details: result.details });
  if (cancelled !== undefined) throw cancelled;
  return result;
}

/** `cancelled_by` and `cancel_reason` for the result and audit; null when cancelled without `supervisor cancel`. */
function cancelledBy(request: CancelRequest | undefined): {
  cancelled_by: string | null;
  cancel_reason: string | null;
} {
  return { cancelled_by: request?.by ?? null, cancel_reason: request?.reason ?? null };
}

/** A run that ended without approval is audited `rejected` or `expired`; any other failure `failed`. */
function unapprovedAction(result: HandlerResult<object>): string {
  const approval = (result.details as { approval?: ApprovalState }).approval;
  return approval?.status === 'rejected' || approval?.status === 'expired' ? approval.status : 'failed';
}

/** Audit row (with label and actor) and `Worker_Outbox/<workerId>/<task_id>.result.json`. */
async function report(flag: HandlerInput, workerId: string, result: HandlerResult<object>): Promise<void> {
  const actor = flag.requested_by ?? null;
  const label = flag.label ?? null;
  const action = result.success ? 'completed' : result.error === 'cancelled' ? 'cancelled' : unapprovedAction(result);
  const details: Record<string, unknown> =
    result.error === undefined ? { ...result.details } : { ...result.details, error: result.error };
  await io.recordAudit({
    task_id: flag.task_id,
    handler: flag.handler,
    label,
    action,
    success: result.success,
    details,
    actor,
  });
  const file: ResultFile<object> = {
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

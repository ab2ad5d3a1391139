/**
 * `supervisor cancel`: asks a running handler to stop. The canceller's name and reason go first, as a
 * signal (a cancel request carries no identity to the workflow), then the cancel itself; the handler's
 * compensation runs and its result file and audit name them. Idempotent: a task that already ended is
 * reported, not an error.
 */
import { readFile } from 'node:fs/promises';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { cancelRequestedSignal } from '../contract/handlers.js';
import type { ResultFile } from '../contract/handlers.js';
import { handlerWorkflowId } from '../contract/ids.js';
import { resultFilePath } from '../nas/paths.js';

/** No workflow `<workerId>/<task_id>` in the namespace. */
export class TaskNotFound extends Error {
  constructor(readonly workflowId: string) {
    super(`no task ${workflowId} in this namespace (check the task id and --worker)`);
    this.name = 'TaskNotFound';
  }
}

export interface CancelRequestOptions {
  workerId: string;
  taskId: string;
  by: string | null;
  reason: string | null;
  /** Wait until the handler has ended (its compensation done) and read its result file. */
  wait: boolean;
}

export interface CancelOutcome {
  workflow_id: string;
  /** cancelled: this call asked for it. already-ended: the task had ended before (status says how). */
  outcome: 'cancelled' | 'requested' | 'already-ended';
  /** Temporal's status of the run once this call is done: RUNNING, CANCELLED, COMPLETED, FAILED, … */
  status: string;
  /** The handler's result file, when it is there. */
  result: ResultFile | null;
}

async function describe(client: Client, workflowId: string): Promise<WorkflowExecutionDescription> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new TaskNotFound(workflowId);
    throw error;
  }
}

async function readResult(config: Config, workerId: string, taskId: string): Promise<ResultFile | null> {
  try {
    return JSON.parse(await readFile(resultFilePath({ ...config, worker_id: workerId }, taskId), 'utf8')) as ResultFile;
  } catch {
    return null;
  }
}

export async function cancelTask(
  client: Client,
  config: Config,
  options: CancelRequestOptions,
): Promise<CancelOutcome> {
  const workflowId = handlerWorkflowId(options.workerId, options.taskId);
  const before = await describe(client, workflowId);
  const handle = client.workflow.getHandle(workflowId);
  const ended = async (): Promise<CancelOutcome> => ({
    workflow_id: workflowId,
    outcome: 'already-ended',
    status: (await describe(client, workflowId)).status.name,
    result: await readResult(config, options.workerId, options.taskId),
  });
  if (before.status.name !== 'RUNNING') return ended();
  try {
    await handle.signal(cancelRequestedSignal, { by: options.by, reason: options.reason });
    await handle.cancel();
  } catch (error) {
    // It ended between the look and the signal: the same answer as if it had ended before (a cancel of a
    // closed run succeeds on Temporal, a signal does not).
    if (error instanceof WorkflowNotFoundError) return ended();
    throw error;
  }
  // Not waiting: the status as it is now, which says RUNNING unless the run ended meanwhile.
  if (!options.wait)
    return {
      workflow_id: workflowId,
      outcome: 'requested',
      status: (await describe(client, workflowId)).status.name,
      result: null,
    };
  // Rejects with the cancellation: the end is what we wait for, the result file says how it went.
  await handle.result().catch(() => undefined);
  return {
    workflow_id: workflowId,
    outcome: 'cancelled',
    status: (await describe(client, workflowId)).status.name,
    result: await readResult(config, options.workerId, options.taskId),
  };
}

/** The operator's lines: what happened, and for a cancelled task who cancelled it, and what the undo did. */
export function formatCancel(outcome: CancelOutcome): string {
  const { result, status } = outcome;
  const details = (result?.details ?? {}) as Record<string, unknown>;
  const who = typeof details.cancelled_by === 'string' ? ` by ${details.cancelled_by}` : '';
  const why = typeof details.cancel_reason === 'string' ? ` (${details.cancel_reason})` : '';
  const lines: string[] = [];
  if (outcome.outcome === 'requested') lines.push(`cancel requested for ${outcome.workflow_id}; not waiting`);
  else if (outcome.outcome === 'already-ended' && status === 'CANCELLED')
    lines.push(`${outcome.workflow_id} was already cancelled${who}${why}; nothing to do`);
  else if (outcome.outcome === 'already-ended')
    lines.push(`${outcome.workflow_id} already ended (${status.toLowerCase()}); nothing to cancel`);
  else if (status === 'CANCELLED') lines.push(`${outcome.workflow_id} cancelled${who}${why}`);
  // The cancel came while the handler was reporting (not cancellable): it ended its own way.
  else lines.push(`${outcome.workflow_id} ended ${status.toLowerCase()} before the cancel took effect`);
  if (result !== null && outcome.outcome !== 'already-ended')
    lines.push(`result: ${result.success ? 'success' : `failed: ${result.error ?? '-'}`}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `supervisor pause|resume|restart`: the operational handlers started directly, without a flag file.
 * The input is the flag body a `supervisor flag` would write, checked by the same schema, and the start
 * is the ingest's (same workflow id, search attributes and task queue), so the lock, the audit and the
 * result file are exactly a flag's.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import type { HandlerResult } from '../contract/handlers.js';
import { taskQueueOf } from '../contract/ids.js';
import { checkFlag } from '../flags/schema.js';
import type { FlagInput } from '../flags/schema.js';
import { FlagInvalidError, newTaskId } from '../flags/write.js';
import { registerSearchAttributes, startFlagWorkflow } from '../ingest/starter.js';
import type { HandlerWorkflow } from '../workflows/handlers/index.js';

export const SHORTCUTS = { pause: 'pause_watcher', resume: 'resume_watcher', restart: 'restart_watcher' } as const;
export type Shortcut = keyof typeof SHORTCUTS;

export interface ShortcutRequest {
  workerId: string;
  label: string | undefined;
  requestedBy: string | undefined;
}

export interface StartedTask {
  task_id: string;
  workflow_id: string;
  handler: string;
  worker_id: string;
}

/** Validates (FlagInvalidError naming every problem, nothing started) and starts the handler's workflow. */
export async function startShortcut(
  client: Client,
  config: Config,
  shortcut: Shortcut,
  request: ShortcutRequest,
): Promise<StartedTask> {
  const body: FlagInput = {
    task_id: newTaskId(),
    handler: SHORTCUTS[shortcut],
    label: request.label,
    params: {},
    requested_by: request.requestedBy,
  };
  const checked = checkFlag(body);
  if (!checked.ok) throw new FlagInvalidError(checked.problems);
  const { flag } = checked;
  // As the ingest does before its first start: a cluster refuses starts with unregistered attributes.
  await registerSearchAttributes(client);
  const outcome = await startFlagWorkflow(client, {
    flag,
    workerId: request.workerId,
    taskQueue: taskQueueOf({ temporal: config.temporal, worker_id: request.workerId }),
    // The memo the ingest keeps of a flag file: here, where the start came from.
    file: `cli:${shortcut}`,
    sha256: createHash('sha256').update(JSON.stringify(flag)).digest('hex'),
  });
  if (outcome.kind === 'exists') throw new Error(`task ${outcome.workflowId} exists already (task ids collided)`);
  return { task_id: flag.task_id, workflow_id: outcome.workflowId, handler: flag.handler, worker_id: request.workerId };
}

/** The handler's result; a run that failed as a workflow (refused input, cancelled) becomes a failed result. */
export async function waitForResult(client: Client, task: StartedTask): Promise<HandlerResult> {
  const handle = client.workflow.getHandle<HandlerWorkflow>(task.workflow_id);
  try {
    return (await handle.result()) as HandlerResult;
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    return { success: false, error: error.cause?.message ?? error.message, details: {} };
  }
}

export function formatResult(task: StartedTask, result: HandlerResult): string {
  const verdict = result.success ? 'succeeded' : `failed: ${result.error ?? '-'}`;
  return `${task.task_id} ${task.handler} ${verdict}\n  ${JSON.stringify(result.details)}\n`;
}

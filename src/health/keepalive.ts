/** Starting `keepalive/<workerId>` idempotently: at worker start-up and from every health run. */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { taskQueueOf } from '../config/schema.js';
import type { KeepAliveInput, KeepAliveState, KeepAliveTuning } from '../workflows/health-definitions.js';
import { KEEPALIVE_WORKFLOW_TYPE, keepAliveStateQuery, keepAliveWorkflowId } from '../workflows/health-definitions.js';

/** Production tuning from the configuration; tests pass shorter polls and timeouts as overrides. */
export function keepAliveTuning(config: Config, overrides: Partial<KeepAliveTuning> = {}): KeepAliveTuning {
  const { health, watcher } = config;
  return {
    workerId: config.worker_id,
    hangTimeoutMs: watcher.hang_timeout,
    maxRestarts: health.restart_budget.max_restarts,
    windowMs: health.restart_budget.window,
    backoffInitialMs: health.backoff.initial,
    backoffMaxMs: health.backoff.max,
    backoffResetAfterMs: health.backoff.reset_after,
    pollMs: 250,
    watchHeartbeatTimeoutMs: 10_000,
    maxWatchMs: 10 * 60_000,
    stopTimeoutMs: watcher.stop_timeout,
    killWaitMs: 5_000,
    maxHistoryEvents: 2_000,
    ...overrides,
  };
}

/**
 * Starts the keep-alive unless it runs (conflict policy USE_EXISTING: two callers at once both succeed,
 * one workflow runs). Returns whether this call started it.
 */
export async function ensureKeepAlive(client: Client, config: Config, overrides: Partial<KeepAliveTuning> = {}): Promise<{ started: boolean; runId: string }> {
  const workflowId = keepAliveWorkflowId(config.worker_id);
  const running = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then((description) => (description.status.name === 'RUNNING' ? description.runId : undefined))
    .catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    });
  if (running !== undefined) return { started: false, runId: running };
  const input: KeepAliveInput = { tuning: keepAliveTuning(config, overrides) };
  const handle = await client.workflow.start(KEEPALIVE_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: taskQueueOf(config),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return { started: true, runId: handle.firstExecutionRunId };
}

/** The keep-alive's state, or null when it does not run (or does not answer). */
export async function keepAliveState(client: Client, workerId: string): Promise<KeepAliveState | null> {
  try {
    return await client.workflow.getHandle(keepAliveWorkflowId(workerId)).query(keepAliveStateQuery);
  } catch {
    // Not started yet, closed, or no worker to answer: the caller reports "unknown".
    return null;
  }
}

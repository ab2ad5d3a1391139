/** Starting `keepalive/<workerId>` idempotently: at worker start-up and from every health run. */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { keepAliveWorkflowId, taskQueueOf } from '../contract/ids.js';
import type { KeepAliveInput, KeepAliveState, KeepAliveTuning, KeepAliveWorkflow } from '../contract/supervision.js';
import { KEEPALIVE_DEFAULTS, KEEPALIVE_WORKFLOW_TYPE, keepAliveStateQuery } from '../contract/supervision.js';

/** Production tuning from the configuration; tests pass shorter polls and timeouts as overrides. */
export function keepAliveTuning(config: Config, overrides: Partial<KeepAliveTuning> = {}): KeepAliveTuning {
  const { health, watcher, approvals } = config;
  return {
    workerId: config.worker_id,
    hangTimeoutMs: watcher.hang_timeout,
    maxRestarts: health.restart_budget.max_restarts,
    windowMs: health.restart_budget.window,
    backoffInitialMs: health.backoff.initial,
    backoffMaxMs: health.backoff.max,
    backoffResetAfterMs: health.backoff.reset_after,
    stopTimeoutMs: watcher.stop_timeout,
    lastKnownGood: {
      enabled: approvals.last_known_good.enabled,
      afterUpdateMs: approvals.last_known_good.after_update,
      healthyAfterMs: approvals.last_known_good.healthy_after,
      autoRollback: approvals.auto_rollback,
    },
    ...KEEPALIVE_DEFAULTS,
    ...overrides,
  };
}

/**
 * Starts the keep-alive unless it runs (conflict policy USE_EXISTING: two callers at once both succeed,
 * one workflow runs). Returns whether this call started it.
 */
export async function ensureKeepAlive(
  client: Client,
  config: Config,
  overrides: Partial<KeepAliveTuning> = {},
): Promise<{ started: boolean; runId: string }> {
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
  // By type name: this module also runs inside an activity, which must not load workflow code.
  const handle = await client.workflow.start<KeepAliveWorkflow>(KEEPALIVE_WORKFLOW_TYPE, {
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

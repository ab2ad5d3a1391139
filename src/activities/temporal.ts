/**
 * The activities that hold a Temporal client: a workflow cannot signal-with-start the lock, describe
 * another run or start the keep-alive, so it asks one of these.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { lockWorkflowId, taskQueueOf } from '../contract/ids.js';
import type { LockRelease, LockRequest, LockState, LockWorkflow } from '../contract/lock.js';
import { LOCK_WORKFLOW_TYPE, lockRequestSignal } from '../contract/lock.js';
import type { KeepAliveState } from '../contract/supervision.js';
import { ensureKeepAlive, keepAliveState as queryKeepAlive } from '../supervision/keep-alive.js';
import type { ResolvedDeps } from './types.js';

export function temporalActivities(deps: ResolvedDeps) {
  const { config, logger } = deps;

  function client(purpose: string): Client {
    if (deps.client === undefined) throw new Error(`no Temporal client was given to the activities: ${purpose}`);
    return deps.client;
  }

  /**
   * Enqueues a request at `lock/<workerId>`, starting the lock when it does not run. Retries are
   * harmless: the lock ignores a second request of the same run.
   */
  async function requestLock(request: LockRequest): Promise<{ lockWorkflowId: string }> {
    const workflowId = lockWorkflowId(config.worker_id);
    const initial: LockState = { holder: null, queue: [], tuning: { ...deps.lock } };
    // By type name: activities do not load workflow code; the contract types the arguments.
    await client('the lock cannot be reached').workflow.signalWithStart<LockWorkflow, [LockRequest]>(
      LOCK_WORKFLOW_TYPE,
      {
        workflowId,
        taskQueue: taskQueueOf(config),
        args: [initial],
        signal: lockRequestSignal,
        signalArgs: [request],
      },
    );
    logger.debug({ lock: workflowId, requester: request.workflowId }, 'lock requested');
    return { lockWorkflowId: workflowId };
  }

  /** False when the run is closed (completed, failed, terminated, timed out) or unknown. */
  async function workflowRunning(input: LockRelease): Promise<boolean> {
    try {
      const description = await client('the lock cannot be reached')
        .workflow.getHandle(input.workflowId, input.runId)
        .describe();
      return description.status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  async function ensureKeepAliveRunning(): Promise<{ started: boolean }> {
    const { started } = await ensureKeepAlive(client('the keep-alive cannot be started'), config);
    if (started) logger.warn({ worker: config.worker_id }, 'keep-alive was not running; started');
    return { started };
  }

  /** Not an activity: the health check's look at the keep-alive (null without a client). */
  const keepAliveState = (): Promise<KeepAliveState | null> =>
    deps.client === undefined ? Promise.resolve(null) : queryKeepAlive(deps.client, config.worker_id);

  return { activities: { requestLock, workflowRunning, ensureKeepAliveRunning }, keepAliveState };
}

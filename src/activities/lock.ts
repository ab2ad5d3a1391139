import { WorkflowNotFoundError } from '@temporalio/client';
import { taskQueueOf } from '../config/schema.js';
import type { LockRequest, LockState, WorkerSettings } from '../workflows/definitions.js';
import { LOCK_WORKFLOW_TYPE, lockRequestSignal, lockWorkflowId } from '../workflows/definitions.js';
import type { ResolvedDeps } from './types.js';

/**
 * The activities behind the per-worker lock and the workflows' view of the configuration. A workflow
 * cannot signal-with-start, and cannot read config: both go through here.
 */
export function lockActivities(deps: ResolvedDeps) {
  const { config, logger } = deps;

  function client() {
    if (deps.client === undefined) throw new Error('no Temporal client was given to the activities: the lock cannot be reached');
    return deps.client;
  }

  async function workerSettings(): Promise<WorkerSettings> {
    return {
      workerId: config.worker_id,
      stopTimeoutMs: config.watcher.stop_timeout,
      killWaitMs: deps.timing.killWaitMs,
      depsTimeoutMs: config.repo.deps_install.timeout,
    };
  }

  /**
   * Enqueues a request at `lock/<workerId>`, starting the lock when it does not run. Retries are
   * harmless: the lock ignores a second request of the same run.
   */
  async function requestLock(request: LockRequest): Promise<{ lockWorkflowId: string }> {
    const workflowId = lockWorkflowId(config.worker_id);
    const initial: LockState = { holder: null, queue: [], tuning: { ...deps.lock } };
    await client().workflow.signalWithStart(LOCK_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: taskQueueOf(config),
      args: [initial],
      signal: lockRequestSignal,
      signalArgs: [request],
    });
    logger.debug({ lock: workflowId, requester: request.workflowId }, 'lock requested');
    return { lockWorkflowId: workflowId };
  }

  /** False when the run is closed (completed, failed, terminated, timed out) or unknown. */
  async function workflowRunning(input: { workflowId: string; runId: string }): Promise<boolean> {
    try {
      const description = await client().workflow.getHandle(input.workflowId, input.runId).describe();
      return description.status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  return { workerSettings, requestLock, workflowRunning };
}

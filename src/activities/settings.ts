import type { WorkerSettings } from '../contract/handlers.js';
import type { ResolvedDeps } from './types.js';

/** The workflows' view of the configuration: a workflow cannot read config, so it asks this activity. */
export function settingsActivities(deps: ResolvedDeps) {
  const { config } = deps;

  async function workerSettings(): Promise<WorkerSettings> {
    return {
      workerId: config.worker_id,
      stopTimeoutMs: config.watcher.stop_timeout,
      killWaitMs: deps.timing.killWaitMs,
      depsTimeoutMs: config.repo.deps_install.timeout,
    };
  }

  return { workerSettings };
}

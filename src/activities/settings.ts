import type { WorkerSettings } from '../contract/handlers.js';
import type { ApprovalSettings } from '../contract/approvals.js';
import type { Config } from '../config/schema.js';
import type { ResolvedDeps } from './types.js';

/** The approval rules that apply to this worker: handlers listed for other workers only are left out. */
export function approvalSettings(config: Config): ApprovalSettings {
  const { approvals } = config;
  const expiresMs: Record<string, number> = {};
  for (const [handler, rule] of Object.entries(approvals.handlers)) {
    if (rule !== undefined && (rule.workers === undefined || rule.workers.includes(config.worker_id)))
      expiresMs[handler] = rule.expires;
  }
  return {
    expiresMs,
    deciders: approvals.deciders,
    allowSelfApproval: approvals.allow_self_approval,
    defaultExpiresMs: approvals.default_expiry,
  };
}

/** The workflows' view of the configuration: a workflow cannot read config, so it asks this activity. */
export function settingsActivities(deps: ResolvedDeps) {
  const { config } = deps;

  async function workerSettings(): Promise<WorkerSettings> {
    return {
      workerId: config.worker_id,
      stopTimeoutMs: config.watcher.stop_timeout,
      killWaitMs: deps.timing.killWaitMs,
      depsTimeoutMs: config.repo.deps_install.timeout,
      approvals: approvalSettings(config),
    };
  }

  return { workerSettings };
}

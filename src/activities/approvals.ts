/**
 * The approval activities: the live state an approval is about (taken at the request and again at the
 * approval, so a stale one is refused), and the notice to older pending requests that a newer task
 * superseded them.
 */
import type { ApprovalSnapshot } from '../contract/approvals.js';
import { approvalSupersededSignal } from '../contract/approvals.js';
import { handlerWorkflowId } from '../contract/ids.js';
import { HANDLERS, TIER_OF } from '../flags/handlers.js';
import type { Handler } from '../flags/handlers.js';
import type { CommitInfo, RollbackPlan, UpdatePlan } from './git.js';
import type { ResolvedDeps } from './types.js';
import type { ObserveInput, WatchResult } from './watch.js';

export interface SnapshotInput {
  handler: Handler;
  /** rollback_code only. */
  commitsBack?: number;
}

export interface SupersedeInput {
  taskId: string;
  handler: Handler;
  /** This run's start (ms): only runs started before it are superseded. */
  startedAtMs: number;
}

interface Looks {
  planUpdate(): Promise<UpdatePlan>;
  planRollback(input: { commitsBack: number }): Promise<RollbackPlan>;
  observeWatcher(input: ObserveInput): Promise<WatchResult>;
}

const short = (sha: string): string => sha.slice(0, 10);
const commitLine = (commit: CommitInfo): string => `${short(commit.sha)} ${commit.subject}`;

function snapshot(summary: string, facts: Record<string, unknown>): ApprovalSnapshot {
  return { summary, facts, fingerprint: JSON.stringify(facts) };
}

/** A newer task of the same handler supersedes an older one; among code changes, any newer code change. */
export function supersedes(newer: Handler, older: Handler): boolean {
  return newer === older || (TIER_OF[newer] === 'code' && TIER_OF[older] === 'code');
}

export function approvalActivities(deps: ResolvedDeps, looks: Looks) {
  const { config, logger } = deps;

  async function watcherFacts(): Promise<Record<string, unknown>> {
    const seen = await looks.observeWatcher({ hangTimeoutMs: config.watcher.hang_timeout });
    return { watcher: seen.observation, pid: seen.pid };
  }

  /** What the handler would do now, and the facts that must not change before it is approved. */
  async function approvalSnapshot(input: SnapshotInput): Promise<ApprovalSnapshot> {
    const { handler } = input;
    if (handler === 'update_code' || handler === 'update_code_deps') {
      const plan = await looks.planUpdate();
      const facts = { head: plan.head, target: plan.target, mode: plan.mode };
      const what =
        plan.head === plan.target
          ? `already at ${short(plan.target)} (${config.repo.remote}/${config.repo.branch}): nothing to update`
          : `${plan.mode} from ${short(plan.head)} to ${short(plan.target)} (${config.repo.remote}/${config.repo.branch})`;
      const deps = handler === 'update_code_deps' ? `, then ${config.repo.deps_install.command} install` : '';
      return snapshot(`${what}${deps}; the watcher is stopped and started again`, facts);
    }
    if (handler === 'rollback_code') {
      const commitsBack = input.commitsBack ?? 1;
      const plan = await looks.planRollback({ commitsBack });
      const facts = { head: plan.head, revert: plan.targets.map((commit) => commit.sha) };
      const listed = plan.targets.map(commitLine).join('; ');
      return snapshot(`revert ${plan.targets.length} commit(s) on ${short(plan.head)}: ${listed}`, facts);
    }
    if (handler === 'diagnostics') return snapshot('write a diagnostics report (read-only)', {});
    if (handler === 'verify_db') return snapshot('verify the database (read-only)', {});
    const facts = await watcherFacts();
    const now = `the watcher is ${String(facts.watcher)}${facts.pid === null ? '' : ` (pid ${String(facts.pid)})`}`;
    const action = {
      pause_watcher: 'stop the watcher and set the pause flag',
      resume_watcher: 'remove the pause flag and start the watcher',
      restart_watcher: 'stop the watcher and start it again',
    }[handler];
    return snapshot(`${action}; ${now}`, facts);
  }

  /**
   * Tells every older running task of this worker that this one supersedes (see supersedes) that it was
   * superseded; their pending approvals then refuse a decision. Returns the task ids told.
   */
  async function supersedeApprovals(input: SupersedeInput): Promise<string[]> {
    const client = deps.client;
    if (client === undefined) return [];
    const types = HANDLERS.filter((older) => supersedes(input.handler, older));
    const self = handlerWorkflowId(config.worker_id, input.taskId);
    const query = [
      `WorkflowType IN (${types.map((type) => `'${type}'`).join(', ')})`,
      `WorkflowId STARTS_WITH '${config.worker_id}/'`,
      `ExecutionStatus = 'Running'`,
    ].join(' AND ');
    const told: string[] = [];
    for await (const run of client.workflow.list({ query })) {
      if (run.workflowId === self || run.startTime.getTime() >= input.startedAtMs) continue;
      await client.workflow
        .getHandle(run.workflowId, run.runId)
        .signal(approvalSupersededSignal, { task_id: input.taskId, handler: input.handler });
      told.push(run.workflowId.slice(config.worker_id.length + 1));
    }
    if (told.length > 0)
      logger.info({ by: input.taskId, superseded: told }, 'older pending tasks told they are superseded');
    return told;
  }

  return { approvalSnapshot, supersedeApprovals };
}

import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { HandlerInput, HandlerResult } from './definitions.js';
import type { RollbackPlan } from '../activities/index.js';
import { failureMessage, failureType, refusedBeforeStop, runHandler } from './handler.js';
import { git, revert, watcherActivities } from './proxies.js';

/**
 * SPEC rollback_code: check that enough plain commits exist (before anything is touched); stop; save
 * the work tree under the backup ref (recording HEAD); revert the planned commits newest first, one
 * activity per commit, so a crash never reverts a commit twice (the history says which are done;
 * revertCommit recognises its own finished revert on retry); stop at the first conflict (the activity
 * aborted it); start the watcher whatever happened. Each revert carries `Supervisor-Task: <task_id>`,
 * which is how a later update_code knows it may drop them.
 */
export async function rollback_code(input: HandlerInput): Promise<HandlerResult> {
  return runHandler(input, { exclusive: true }, async ({ flag, settings, info, warn }) => {
    // The input was validated against the flag schema: commits_back is an integer from 1 to 10.
    const commitsBack = flag.handler === 'rollback_code' ? flag.params.commits_back : 1;
    let plan: RollbackPlan;
    try {
      plan = await git.planRollback({ commitsBack });
    } catch (planError) {
      if (isCancellation(planError)) throw planError;
      const refused = refusedBeforeStop(planError, { commits_back: commitsBack, commits_reverted: 0, reverted_commits: [] });
      return { ...refused, details: { ...refused.details, success: false, error: refused.error } };
    }
    const watcher = watcherActivities(settings);
    const reverted: string[] = [];
    /** Commits whose revert a retried activity found already committed (a crash mid-revert). */
    const alreadyReverted: string[] = [];
    const details: Record<string, unknown> = { commits_back: commitsBack, head_before: plan.head };
    let error: string | undefined;
    let failedCommit: string | null = null;
    try {
      const stop = await watcher.stopWatcher();
      Object.assign(details, { was_running: stop.wasRunning, stopped_by: stop.stoppedBy });
      const backup = await git.backupWorkTree({ taskId: flag.task_id, operation: flag.handler });
      Object.assign(details, { head_before: backup.recorded, backup_ref: backup.ref, backup_commit: backup.commit, saved_paths: backup.savedPaths });
      if (backup.recorded !== plan.head) throw new Error(`HEAD moved from ${plan.head} to ${backup.recorded} after the check; nothing reverted`);
      for (const commit of plan.targets) {
        try {
          const done = await revert.revertCommit({ sha: commit.sha, taskId: flag.task_id });
          reverted.push(commit.sha);
          if (done.alreadyReverted) alreadyReverted.push(commit.sha);
        } catch (revertError) {
          if (isCancellation(revertError)) throw revertError;
          failedCommit = commit.sha;
          error = failureMessage(revertError);
          details.failure_type = failureType(revertError) ?? null;
          warn('revert stopped', { commit: commit.sha, error });
          break;
        }
      }
    } catch (stepError) {
      if (isCancellation(stepError)) throw stepError;
      error ??= failureMessage(stepError);
      details.failure_type ??= failureType(stepError) ?? null;
    } finally {
      await CancellationScope.nonCancellable(async () => {
        try {
          details.pid = (await watcher.startWatcher()).pid;
          details.watcher_started = true;
        } catch (startError) {
          details.watcher_started = false;
          details.watcher_start_error = failureMessage(startError);
        }
        details.final_commit = await git.currentCommit().catch(() => null);
      });
    }
    const success = error === undefined && details.watcher_started === true;
    error ??= success ? undefined : String(details.watcher_start_error);
    Object.assign(details, { commits_reverted: reverted.length, reverted_commits: reverted, already_reverted: alreadyReverted, failed_commit: failedCommit, success, error: error ?? null });
    info('rollback finished', { commits_reverted: reverted.length, final_commit: details.final_commit });
    return success ? { success, details } : { success, error, details };
  });
}

import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { RollbackPlan } from '../../activities/index.js';
import type {
  HandlerDetails,
  HandlerInput,
  HandlerResultOf,
  RollbackCodeDetails,
  RollbackRefusedDetails,
} from '../../contract/handlers.js';
import { failureMessage, failureType } from '../failures.js';
import { codeChangeActivities } from './proxies.js';
import { refusedBeforeStop, runHandler } from './run-handler.js';

/**
 * SPEC rollback_code: check that enough plain commits exist (before anything is touched); stop; save
 * the work tree under the backup ref (recording HEAD); revert the planned commits newest first, one
 * activity per commit, so a crash never reverts a commit twice (the history says which are done;
 * revertCommit recognises its own finished revert on retry); stop at the first conflict (the activity
 * aborted it); start the watcher whatever happened. Each revert carries `Supervisor-Task: <task_id>`,
 * which is how a later update_code knows it may drop them. Cancelled once the work tree was saved, it
 * waits for the revert in flight, puts back the recorded commit and work tree, then starts the watcher.
 */
export async function rollback_code(input: HandlerInput): Promise<HandlerResultOf<'rollback_code'>> {
  return runHandler<HandlerDetails['rollback_code']>(
    input,
    { exclusive: true },
    async ({ flag, settings, info, warn, onCancelReport }) => {
      const { waits, git, revert, watcher } = codeChangeActivities(settings);
      // The input was validated against the flag schema: the union narrows to rollback_code's params.
      const commitsBack = flag.handler === 'rollback_code' ? flag.params.commits_back : 1;
      let plan: RollbackPlan;
      try {
        plan = await git.planRollback({ commitsBack });
      } catch (planError) {
        if (isCancellation(planError)) throw planError;
        const refused = refusedBeforeStop(planError, {
          commits_back: commitsBack,
          commits_reverted: 0 as const,
          reverted_commits: [],
        });
        const details: RollbackRefusedDetails = { ...refused.details, success: false, error: refused.error };
        return { ...refused, details };
      }
      const reverted: string[] = [];
      /** Commits whose revert a retried activity found already committed (a crash mid-revert). */
      const alreadyReverted: string[] = [];
      // Filled in step by step; the counts at the end.
      const details: Omit<
        RollbackCodeDetails,
        'commits_reverted' | 'reverted_commits' | 'already_reverted' | 'failed_commit' | 'success' | 'error'
      > = {
        commits_back: commitsBack,
        head_before: plan.head,
      };
      let error: string | undefined;
      let failedCommit: string | null = null;
      let cancelled: unknown;
      try {
        const stop = await watcher.stopWatcher();
        details.was_running = stop.wasRunning;
        details.stopped_by = stop.stoppedBy;
        const backup = await git.backupWorkTree({ taskId: flag.task_id, operation: flag.handler });
        details.head_before = backup.recorded;
        details.backup_ref = backup.ref;
        details.backup_commit = backup.commit;
        details.saved_paths = backup.savedPaths;
        if (backup.recorded !== plan.head)
          throw new Error(`HEAD moved from ${plan.head} to ${backup.recorded} after the check; nothing reverted`);
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
        if (isCancellation(stepError)) {
          cancelled = stepError;
          // Runs started before the patch were left where the cancel found them: replay them so.
          if (details.backup_ref !== undefined && waits)
            await CancellationScope.nonCancellable(async () => {
              try {
                const restored = await git.restoreWorkTree({ taskId: flag.task_id });
                details.restored = restored.restored;
                details.undo_ref = restored.undoRef;
              } catch (restoreError) {
                details.restored = false;
                details.restore_error = failureMessage(restoreError);
              }
            });
        } else {
          error ??= failureMessage(stepError);
          details.failure_type ??= failureType(stepError) ?? null;
        }
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
      if (cancelled !== undefined) {
        info('rollback cancelled', { restored: details.restored ?? false, final_commit: details.final_commit });
        onCancelReport({ ...details, commits_reverted: reverted.length, reverted_commits: reverted });
        throw cancelled;
      }
      const success = error === undefined && details.watcher_started === true;
      error ??= success ? undefined : String(details.watcher_start_error);
      const full: RollbackCodeDetails = {
        ...details,
        commits_reverted: reverted.length,
        reverted_commits: reverted,
        already_reverted: alreadyReverted,
        failed_commit: failedCommit,
        success,
        error: error ?? null,
      };
      info('rollback finished', { commits_reverted: reverted.length, final_commit: full.final_commit });
      return success ? { success, details: full } : { success, error, details: full };
    },
  );
}

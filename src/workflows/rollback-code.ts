import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { HandlerInput, HandlerResult } from './definitions.js';
import { failureMessage, failureType, runHandler } from './handler.js';
import { git, watcherActivities } from './proxies.js';

const MAX_COMMITS_BACK = 10;

/**
 * SPEC rollback_code: stop; record HEAD; list the commits; revert them newest first, one activity per
 * commit, so a crash never reverts a commit twice (the history says which are done; revertCommit
 * recognises its own finished revert on retry); stop at the first conflict (the activity aborted it);
 * start the watcher whatever happened.
 */
export async function rollback_code(flag: HandlerInput): Promise<HandlerResult> {
  return runHandler(flag, { exclusive: true }, async ({ settings, info, warn }) => {
    // A start through Temporal (not the ingest) may omit params: same default as the flag schema.
    const params = (flag.params as { commits_back?: unknown } | undefined) ?? {};
    const commitsBack = params.commits_back ?? 1;
    if (typeof commitsBack !== 'number' || !Number.isInteger(commitsBack) || commitsBack < 1 || commitsBack > MAX_COMMITS_BACK) {
      // Started straight through Temporal with a bad parameter: refused before anything is touched.
      return { success: false, error: `commits_back must be an integer from 1 to ${MAX_COMMITS_BACK}, got ${JSON.stringify(commitsBack)}`, details: { commits_reverted: 0 } };
    }
    const watcher = watcherActivities(settings);
    const reverted: string[] = [];
    /** Commits whose revert a retried activity found already committed (a crash mid-revert). */
    const alreadyReverted: string[] = [];
    const details: Record<string, unknown> = { commits_back: commitsBack };
    let error: string | undefined;
    let failedCommit: string | null = null;
    try {
      const stop = await watcher.stopWatcher();
      Object.assign(details, { was_running: stop.wasRunning, stopped_by: stop.stoppedBy });
      details.head_before = await git.currentCommit();
      // One more than asked: the initial commit is never reverted (that would empty the repository).
      const listed = await git.listLastCommits(commitsBack + 1);
      const targets = listed.slice(0, commitsBack);
      if (listed.length <= commitsBack) {
        error = `only ${Math.max(0, listed.length - 1)} commit(s) can be reverted, ${commitsBack} asked`;
      } else {
        for (const commit of targets) {
          try {
            const done = await git.revertCommit(commit.sha);
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

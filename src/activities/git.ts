import type { SimpleGit } from 'simple-git';
import { activityHooks } from './context.js';
import { GitConflict } from './errors.js';
import { checkTaskId } from './files.js';
import { checkedRepo, classify, head, resolveCommit, revertInProgress, SUPERVISOR_TRAILER } from './git-repo.js';
import { gitPlanActivities } from './git-plan.js';
import { gitSafetyActivities } from './git-safety.js';
import type { ResolvedDeps } from './types.js';

export { GIT_TIMEOUT_MS, openRepo, SUPERVISOR_TRAILER } from './git-repo.js';
export type { CommitInfo } from './git-repo.js';
export type { RollbackPlan, UpdatePlan, AdvanceResult } from './git-plan.js';
export type { BackupResult, RestoreResult } from './git-safety.js';

export interface RevertResult {
  commit: string;
  head: string;
  /** HEAD already was the revert of this commit (a retry after a crash): nothing was done twice. */
  alreadyReverted: boolean;
}

/** Conflicted paths of the revert in progress. */
async function conflictedFiles(git: SimpleGit): Promise<string[]> {
  const out = await git.raw(['diff', '--name-only', '--diff-filter=U']).catch(() => '');
  return out.split('\n').filter((line) => line !== '');
}

export function gitActivities(deps: ResolvedDeps) {
  const { config, logger } = deps;
  const repo = () => checkedRepo(config, activityHooks().signal);

  async function currentCommit(): Promise<string> {
    return head(await repo());
  }

  /** Undoes a revert left half done, so the tree is as it was before this activity's first attempt. */
  async function abortRevert(git: SimpleGit): Promise<void> {
    if (await revertInProgress(git)) await git.raw(['revert', '--abort']);
  }

  /**
   * Reverts one commit with git's own message plus the `Supervisor-Task: <task_id>` trailer, in one
   * commit. On a conflict the revert is aborted (the work tree is as before) and GitConflict names
   * the commit and the files.
   */
  async function revertCommit(input: { sha: string; taskId: string }): Promise<RevertResult> {
    // The task id goes into the commit message's trailer: the flag alphabet only.
    checkTaskId(input.taskId);
    const git = await repo();
    const commit = await resolveCommit(git, input.sha);
    // A crash in the middle of an earlier attempt can leave a revert half done.
    await abortRevert(git);
    const headMessage = await git.raw(['log', '-1', '--format=%B', 'HEAD', '--']);
    if (headMessage.includes(`This reverts commit ${commit}.`)) {
      return { commit, head: await head(git), alreadyReverted: true };
    }
    const subject = (await git.raw(['log', '-1', '--format=%s', commit, '--'])).trim();
    try {
      await git.raw(['revert', '--no-commit', '--end-of-options', commit]);
    } catch (error) {
      const files = await conflictedFiles(git);
      await abortRevert(git);
      if (files.length > 0) {
        logger.warn({ commit, files }, 'revert conflict, aborted');
        throw new GitConflict(commit, files);
      }
      throw classify('revert', error);
    }
    const message = `Revert "${subject}"\n\nThis reverts commit ${commit}.\n\n${SUPERVISOR_TRAILER}: ${input.taskId}\n`;
    try {
      // --no-verify: like `git revert` itself, no pre-commit or commit-msg hook (a developer's linter) can block it.
      await git.raw(['commit', '--quiet', '--no-verify', '--cleanup=verbatim', '-m', message]);
    } catch (error) {
      await abortRevert(git);
      throw classify('revert', error);
    }
    return { commit, head: await head(git), alreadyReverted: false };
  }

  return { currentCommit, revertCommit, ...gitSafetyActivities(deps, repo), ...gitPlanActivities(deps, repo) };
}

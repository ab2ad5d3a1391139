/**
 * The safety net of the code handlers: before the first change the work tree (tracked and untracked
 * files, not ignored ones) is saved as a commit under `refs/supervisor/backup/<task_id>` whose parent
 * is the recorded HEAD; a failed update puts back exactly that, and saves whatever appeared since
 * before it resets anything. Ref names derive from the task id, so a retried activity finds its own work.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import { activityHooks } from './context.js';
import { GitCommandFailed, GitDirtyWorkTree } from './errors.js';
import { SUPERVISOR_IDENTITY } from '../lib/git-env.js';
import { changedPaths, dirtyRefusal, head, openRepo, refCommit, SUPERVISOR_TRAILER } from './git-repo.js';
import type { ResolvedDeps } from './types.js';

export interface BackupResult {
  /** The ref holding the saved work tree; its commit's parent is `recorded`. */
  ref: string;
  commit: string;
  /** HEAD when the handler started: where a failed update goes back to. */
  recorded: string;
  /** Paths whose local changes were saved (empty when the tree was clean). */
  savedPaths: string[];
}

export interface RestoreResult {
  restored: boolean;
  head: string;
  /** Changes found at restore time that were not in the backup, saved before the reset. */
  undoRef: string | null;
}

/** A task id as a ref component; the few ids git refuses there (`..`, `.x`, `x.lock`) are hex-encoded. */
function refPart(taskId: string): string {
  return /^\.|\.\.|\.lock$|\.$/.test(taskId) ? `x-${Buffer.from(taskId).toString('hex')}` : taskId;
}

export const backupRefOf = (taskId: string): string => `refs/supervisor/backup/${refPart(taskId)}`;
export const undoRefOf = (taskId: string): string => `refs/supervisor/undo/${refPart(taskId)}`;

export function gitSafetyActivities(deps: ResolvedDeps, repo: () => Promise<SimpleGit>) {
  const { config, logger } = deps;

  /** The tree of the work tree as `git add --all` sees it, built in a private index so the real one is untouched. */
  async function workTreeTree(git: SimpleGit, base: string, taskId: string): Promise<string> {
    const gitDir = (await git.raw(['rev-parse', '--absolute-git-dir'])).trim();
    const index = path.join(gitDir, `supervisor-index-${refPart(taskId)}`);
    const temp = openRepo(config, activityHooks().signal, { GIT_INDEX_FILE: index });
    try {
      await temp.raw(['read-tree', base]);
      await temp.raw(['add', '--all', '--', '.']);
      return (await temp.raw(['write-tree'])).trim();
    } finally {
      await rm(index, { force: true });
    }
  }

  const treeOf = async (git: SimpleGit, commit: string) => (await git.raw(['rev-parse', `${commit}^{tree}`])).trim();

  /** A commit of `tree` on top of `parent`, stored under `ref` unless the ref already exists (first save wins). */
  async function saveUnder(git: SimpleGit, ref: string, tree: string, parent: string, taskId: string): Promise<string> {
    const existing = await refCommit(git, ref);
    if (existing !== undefined) return existing;
    const message = `supervisor: work tree saved before task ${taskId}\n\n${SUPERVISOR_TRAILER}: ${taskId}\n`;
    const commit = (
      await openRepo(config, activityHooks().signal, SUPERVISOR_IDENTITY).raw([
        'commit-tree',
        tree,
        '-p',
        parent,
        '-m',
        message,
      ])
    ).trim();
    // The empty old value: create only, never overwrite a ref another attempt wrote meanwhile.
    await git.raw(['update-ref', '-m', `supervisor ${taskId}`, ref, commit, '']);
    return commit;
  }

  /**
   * Saves the work tree before the first change. `repo.dirty: refuse` refuses a dirty tree, naming
   * the paths; `stash` saves it and cleans the tree, as `git stash -u` would.
   */
  async function backupWorkTree(input: { taskId: string; operation: string }): Promise<BackupResult> {
    const git = await repo();
    const ref = backupRefOf(input.taskId);
    const earlier = await refCommit(git, ref);
    const recorded = earlier === undefined ? await head(git) : (await git.raw(['rev-parse', `${earlier}^1`])).trim();
    if ((await head(git)) !== recorded)
      throw new GitCommandFailed('backup', `HEAD moved away from the recorded ${recorded} before any change was made`);
    const tree = await workTreeTree(git, recorded, input.taskId);
    const clean = tree === (await treeOf(git, recorded));
    if (!clean && earlier === undefined && config.repo.dirty === 'refuse')
      throw dirtyRefusal(config, input.operation, await changedPaths(git));
    if (!clean && earlier !== undefined && tree !== (await treeOf(git, earlier))) {
      // A retry found a tree neither as saved nor as recorded: someone is working here; touch nothing.
      throw new GitDirtyWorkTree(
        input.operation,
        `${config.repo.dir} changed after ${ref} was saved`,
        await changedPaths(git),
      );
    }
    const commit = await saveUnder(git, ref, tree, recorded, input.taskId);
    if (!clean) {
      // Everything removed here is in `commit`: tracked changes and untracked, non-ignored files.
      await git.raw(['reset', '--hard', '--quiet']);
      await git.raw(['clean', '--force', '-d', '--quiet']);
    }
    const savedPaths = (await git.raw(['diff', '--name-only', '-z', recorded, commit, '--']))
      .split('\0')
      .filter((p) => p !== '');
    logger.info({ ref, commit, recorded, saved: savedPaths.length }, 'work tree saved');
    return { ref, commit, recorded, savedPaths };
  }

  /**
   * Puts back the recorded HEAD and the saved work tree. Anything in the tree that is not at HEAD
   * now (an install's output, a hand edit made meanwhile) is saved under the undo ref first.
   */
  async function restoreWorkTree(input: { taskId: string }): Promise<RestoreResult> {
    const git = await repo();
    const backup = await refCommit(git, backupRefOf(input.taskId));
    if (backup === undefined) return { restored: false, head: await head(git), undoRef: null };
    const recorded = (await git.raw(['rev-parse', `${backup}^1`])).trim();
    const current = await head(git);
    const tree = await workTreeTree(git, current, input.taskId);
    if (current === recorded && tree === (await treeOf(git, backup)))
      return { restored: true, head: current, undoRef: null };
    let undoRef: string | null = null;
    if (tree !== (await treeOf(git, current))) {
      undoRef = undoRefOf(input.taskId);
      await saveUnder(git, undoRef, tree, current, input.taskId);
    }
    await git.raw(['reset', '--hard', '--quiet', recorded, '--']);
    // The saved tree into index and work tree, then the index back to HEAD: the changes are local again.
    await git.raw(['read-tree', '-u', '--reset', backup]);
    await git.raw(['reset', '--quiet', recorded, '--']);
    logger.info({ recorded, backup, undoRef }, 'work tree restored');
    return { restored: true, head: recorded, undoRef };
  }

  return { backupWorkTree, restoreWorkTree };
}

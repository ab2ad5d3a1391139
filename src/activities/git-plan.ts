/**
 * Checks a code handler makes before it stops the watcher (SPEC: a handler checks that it can
 * succeed first), and the one step that moves HEAD for update_code.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import { COMMITS_BACK_MAX, COMMITS_BACK_MIN, isCommitsBack } from '../contract/params.js';
import {
  GitCommandFailed,
  GitDirtyWorkTree,
  GitNotEnoughCommits,
  GitNotFastForward,
  InvalidArgument,
} from './errors.js';
import type { CommitInfo } from './git-repo.js';
import {
  changedPaths,
  checkRef,
  dirtyRefusal,
  repoDirOf,
  classify,
  head,
  lastCommits,
  listPaths,
  messageOf,
  refCommit,
  resolveCommit,
  SUPERVISOR_TRAILER,
} from './git-repo.js';
import type { ResolvedDeps } from './types.js';

export interface UpdatePlan {
  /** HEAD at the check; the update refuses to run if it moved. */
  head: string;
  /** The remote branch's head, fetched. */
  target: string;
  /** `fast-forward`: HEAD is behind or at the target. `replace-reverts`: the only local commits are the supervisor's reverts. */
  mode: 'fast-forward' | 'replace-reverts';
  /** The supervisor's revert commits the update leaves behind (kept under the backup ref). */
  replaced: string[];
}

export interface RollbackPlan {
  head: string;
  /** The commits to revert, newest first. */
  targets: CommitInfo[];
}

export interface AdvanceResult {
  before: string;
  after: string;
  updated: boolean;
}

/** Local commits not on the target, with whether each carries the supervisor's revert trailer. */
async function localCommits(
  git: SimpleGit,
  target: string,
): Promise<{ sha: string; subject: string; ours: boolean }[]> {
  const format = `--format=%H%x1f%s%x1f%(trailers:key=${SUPERVISOR_TRAILER},valueonly,separator=%x2C)`;
  const out = await git.raw(['log', format, `${target}..HEAD`, '--']);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [sha = '', subject = '', trailer = ''] = line.split('\x1f');
      return { sha, subject, ours: trailer.trim() !== '' && subject.startsWith('Revert "') };
    });
}

/**
 * Files the move from `from` to `to` would create where an ignored file already lies: git treats
 * ignored files as expendable and would overwrite them, and they are in no backup.
 */
async function ignoredInTheWay(git: SimpleGit, dir: string, from: string, to: string): Promise<string[]> {
  const added = (await git.raw(['diff', '--name-only', '-z', '--no-renames', '--diff-filter=A', from, to, '--']))
    .split('\0')
    .filter((p) => p !== '');
  const present = await Promise.all(
    added.map((file) =>
      lstat(path.join(dir, file)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return added.filter((_, i) => present[i]);
}

export function gitPlanActivities(deps: ResolvedDeps, repo: () => Promise<SimpleGit>) {
  const { config, logger } = deps;

  /** `repo.dirty: refuse` fails here, before the watcher is stopped; `stash` leaves it to the backup. */
  async function checkDirtyPolicy(git: SimpleGit, operation: string): Promise<void> {
    if (config.repo.dirty !== 'refuse') return;
    const paths = await changedPaths(git);
    if (paths.length > 0) throw dirtyRefusal(config, operation, paths);
  }

  async function checkIgnoredFiles(git: SimpleGit, operation: string, from: string, to: string): Promise<void> {
    const inTheWay = await ignoredInTheWay(git, repoDirOf(config), from, to);
    if (inTheWay.length > 0) {
      throw new GitDirtyWorkTree(
        operation,
        `ignored files where ${operation} would write tracked ones (${listPaths(inTheWay)}); move them away first`,
        inTheWay,
      );
    }
  }

  /** Fetches the configured remote branch (the "remote reachable" check) and decides how HEAD gets there. */
  async function planUpdate(): Promise<UpdatePlan> {
    const git = await repo();
    const remote = checkRef('remote', config.repo.remote);
    const branch = checkRef('branch', config.repo.branch);
    // Only a branch name: a refspec (`a:b`) or revision syntax would make the fetch write or mean something else.
    if (/[:~^?*[\\]|\.\./.test(branch))
      throw new InvalidArgument(`repo.branch ${JSON.stringify(branch)} is not a branch name`);
    await checkDirtyPolicy(git, 'update_code');
    try {
      await git.raw(['fetch', '--quiet', '--no-tags', '--', remote, `refs/heads/${branch}`]);
    } catch (error) {
      throw classify('fetch', error);
    }
    const target = await refCommit(git, 'FETCH_HEAD');
    if (target === undefined) throw new GitCommandFailed('fetch', `${remote} ${branch} gave no commit`);
    const current = await head(git);
    const local = await localCommits(git, target);
    const foreign = local.filter((commit) => !commit.ours);
    if (foreign.length > 0) {
      const listed = foreign.map((commit) => `${commit.sha.slice(0, 12)} ${commit.subject}`);
      throw new GitNotFastForward(
        remote,
        branch,
        `local commits not on the remote: ${listed.join('; ')}`,
        foreign.map((commit) => commit.sha),
      );
    }
    await checkIgnoredFiles(git, 'update_code', current, target);
    const plan: UpdatePlan = {
      head: current,
      target,
      mode: local.length === 0 ? 'fast-forward' : 'replace-reverts',
      replaced: local.map((commit) => commit.sha),
    };
    logger.info(plan, 'update planned');
    return plan;
  }

  /** Moves HEAD to the planned target; the tree must be clean (the backup saw to it). Idempotent. */
  async function advanceTo(plan: UpdatePlan): Promise<AdvanceResult> {
    const git = await repo();
    const target = await resolveCommit(git, plan.target);
    const before = await head(git);
    if (before === target) return { before: plan.head, after: target, updated: plan.head !== target };
    if (before !== plan.head)
      throw new GitCommandFailed(
        'update',
        `HEAD moved from ${plan.head} to ${before} since the check; nothing changed`,
      );
    const dirty = await changedPaths(git);
    if (dirty.length > 0)
      throw new GitDirtyWorkTree('update_code', `local changes appeared after the backup (${listPaths(dirty)})`, dirty);
    try {
      // The supervisor's own reverts are dropped only here, and only after the backup ref saved them.
      await git.raw(
        plan.mode === 'fast-forward'
          ? ['merge', '--ff-only', '--quiet', target]
          : ['reset', '--hard', '--quiet', target, '--'],
      );
    } catch (error) {
      if (/not possible to fast-forward|diverg/i.test(messageOf(error)))
        throw new GitNotFastForward(config.repo.remote, config.repo.branch, messageOf(error));
      throw classify('update', error);
    }
    logger.info({ before, after: target, mode: plan.mode }, 'code updated');
    return { before, after: target, updated: true };
  }

  /** Enough plain commits to revert (the initial commit never is), before the watcher is stopped. */
  async function planRollback(input: { commitsBack: number }): Promise<RollbackPlan> {
    const n = input.commitsBack;
    if (!isCommitsBack(n))
      throw new InvalidArgument(
        `commits_back must be an integer from ${COMMITS_BACK_MIN} to ${COMMITS_BACK_MAX}, got ${n}`,
      );
    const git = await repo();
    await checkDirtyPolicy(git, 'rollback_code');
    const listed = await lastCommits(git, n + 1);
    if (listed.length <= n) throw new GitNotEnoughCommits(n, Math.max(0, listed.length - 1));
    const targets = listed.slice(0, n);
    const merge = targets.find((commit) => commit.parents.length > 1);
    if (merge !== undefined)
      throw new GitCommandFailed(
        'revert',
        `${merge.sha} (${merge.subject}) is a merge; rollback_code reverts plain commits only`,
      );
    // git refuses to revert a commit that changes nothing: say so before the stop, not half way through.
    // (The shas come from git log: hex, never an option.)
    for (const commit of targets) {
      const [tree, parentTree] = (await git.raw(['rev-parse', `${commit.sha}^{tree}`, `${commit.sha}^1^{tree}`])).split(
        '\n',
      );
      if (tree === parentTree)
        throw new GitCommandFailed(
          'revert',
          `${commit.sha} (${commit.subject}) changes nothing; an empty commit cannot be reverted`,
        );
    }
    // Reverting the newest n plain commits of a straight history gives the tree of the commit below them.
    const current = await head(git);
    const below = targets[targets.length - 1]?.parents[0] ?? current;
    await checkIgnoredFiles(git, 'rollback_code', current, below);
    return { head: current, targets };
  }

  return { planUpdate, advanceTo, planRollback };
}

import type { SimpleGit } from 'simple-git';
import { simpleGit } from 'simple-git';
import type { Config } from '../config/schema.js';
import { activityHooks } from './context.js';
import { gitEnvironment } from './git-env.js';
import { GitCommandFailed, GitConflict, GitDirtyWorkTree, GitInvalidCommit, GitNotFastForward, InvalidArgument } from './errors.js';
import type { ResolvedDeps } from './types.js';

/** SPEC: git commands time out after 30 s (without progress output). */
export const GIT_TIMEOUT_MS = 30_000;

const SHA = /^[0-9a-f]{7,40}$/i;

export interface CommitInfo {
  sha: string;
  author: string;
  date: string;
  subject: string;
}

export interface PullResult {
  before: string;
  after: string;
  updated: boolean;
}

export interface RevertResult {
  commit: string;
  head: string;
  /** HEAD already was the revert of this commit (a retry after a crash): nothing was done twice. */
  alreadyReverted: boolean;
}

const NOT_FAST_FORWARD = /not possible to fast-forward|diverg|non-fast-forward/i;
const DIRTY = /would be overwritten|commit your changes or stash|local changes/i;
const PERMANENT = /is a merge but no -m|author identity unknown|tell me who you are|nothing to commit|not a git repository|couldn't find remote ref|does not appear to be a git repository/i;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).trim().slice(0, 2_000);

/** The repository, never through a shell; a fresh instance per call carries that call's cancellation. */
export function openRepo(config: Pick<Config, 'repo'>, signal?: AbortSignal): SimpleGit {
  const { env, allowEnvironment, unsafe } = gitEnvironment();
  return simpleGit({
    baseDir: config.repo.dir,
    maxConcurrentProcesses: 1,
    timeout: { block: GIT_TIMEOUT_MS },
    abort: signal,
    allowEnvironment,
    unsafe,
    // simple-git's default ignores a non-zero exit with an empty stderr (rev-parse --quiet): any failure counts.
    errors: (error, result) => error ?? (result.exitCode === 0 ? undefined : Buffer.concat([...result.stdErr, ...result.stdOut])),
  }).env(env);
}

/** Options and revisions come from config or from git itself; still, nothing may pass as an option. */
function checkRef(kind: string, value: string): string {
  if (value === '' || value.startsWith('-') || /\s/.test(value)) throw new InvalidArgument(`repo.${kind} ${JSON.stringify(value)} is not usable`);
  return value;
}

async function head(git: SimpleGit): Promise<string> {
  return (await git.raw(['rev-parse', 'HEAD'])).trim();
}

/** The full hash of an existing commit, or GitInvalidCommit. */
async function resolveCommit(git: SimpleGit, sha: string): Promise<string> {
  if (!SHA.test(sha)) throw new GitInvalidCommit(sha, 'not a commit hash');
  try {
    return (await git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${sha}^{commit}`])).trim();
  } catch (error) {
    // --quiet: an unknown commit fails without a word; anything said is another problem.
    if (messageOf(error) === '') throw new GitInvalidCommit(sha, 'no such commit in the repository');
    throw classify('rev-parse', error);
  }
}

async function revertInProgress(git: SimpleGit): Promise<boolean> {
  return git.raw(['rev-parse', '--quiet', '--verify', 'REVERT_HEAD']).then(() => true, () => false);
}

/** Retrying a deterministic refusal only repeats it; anything else (network, lock file) may pass later. */
function classify(operation: string, error: unknown): Error {
  const message = messageOf(error);
  if (DIRTY.test(message)) return new GitDirtyWorkTree(operation, message);
  if (PERMANENT.test(message)) return new GitCommandFailed(operation, message);
  return new Error(`git ${operation} failed: ${message}`);
}

export function gitActivities(deps: ResolvedDeps) {
  const { config, logger } = deps;
  const repo = () => openRepo(config, activityHooks().signal);

  async function currentCommit(): Promise<string> {
    return head(repo());
  }

  /** `pull --ff-only` from the configured remote and branch: never a merge, never a flag's choice. */
  async function pullFastForward(): Promise<PullResult> {
    const git = repo();
    const remote = checkRef('remote', config.repo.remote);
    const branch = checkRef('branch', config.repo.branch);
    const before = await head(git);
    try {
      await git.raw(['pull', '--ff-only', '--no-rebase', '--', remote, branch]);
    } catch (error) {
      const message = messageOf(error);
      if (NOT_FAST_FORWARD.test(message)) throw new GitNotFastForward(remote, branch, message);
      throw classify('pull', error);
    }
    const after = await head(git);
    logger.info({ before, after }, 'git pull done');
    return { before, after, updated: before !== after };
  }

  async function listLastCommits(n: number): Promise<CommitInfo[]> {
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgument(`commit count ${n} is not between 1 and 100`);
    const out = await repo().raw(['log', `--max-count=${n}`, '--format=%H%x1f%an%x1f%aI%x1f%s', 'HEAD', '--']);
    return out
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [sha = '', author = '', date = '', subject = ''] = line.split('\x1f');
        return { sha, author, date, subject };
      });
  }

  /** Conflicted paths of the revert in progress. */
  async function conflictedFiles(git: SimpleGit): Promise<string[]> {
    const out = await git.raw(['diff', '--name-only', '--diff-filter=U']).catch(() => '');
    return out.split('\n').filter((line) => line !== '');
  }

  /**
   * `revert --no-edit` of one commit. On a conflict the revert is aborted (the work tree is as
   * before) and GitConflict names the commit and the files.
   */
  async function revertCommit(sha: string): Promise<RevertResult> {
    const git = repo();
    const commit = await resolveCommit(git, sha);
    // A crash in the middle of an earlier attempt can leave a revert half done.
    if (await revertInProgress(git)) await git.raw(['revert', '--abort']);
    const headMessage = await git.raw(['log', '-1', '--format=%B', 'HEAD', '--']);
    if (headMessage.includes(`This reverts commit ${commit}.`)) {
      return { commit, head: await head(git), alreadyReverted: true };
    }
    try {
      await git.raw(['revert', '--no-edit', '--end-of-options', commit]);
    } catch (error) {
      const files = await conflictedFiles(git);
      const stopped = await revertInProgress(git);
      if (stopped) await git.raw(['revert', '--abort']);
      if (files.length > 0) {
        logger.warn({ commit, files }, 'revert conflict, aborted');
        throw new GitConflict(commit, files);
      }
      throw classify('revert', error);
    }
    return { commit, head: await head(git), alreadyReverted: false };
  }

  /** `reset --hard` to a recorded commit: the compensation of a failed update. */
  async function resetTo(sha: string): Promise<{ head: string }> {
    const git = repo();
    const commit = await resolveCommit(git, sha);
    try {
      // `--` after the commit: it can only be read as a revision, never as a path.
      await git.raw(['reset', '--hard', commit, '--']);
    } catch (error) {
      throw classify('reset', error);
    }
    logger.info({ commit }, 'git reset done');
    return { head: await head(git) };
  }

  return { currentCommit, pullFastForward, listLastCommits, revertCommit, resetTo };
}

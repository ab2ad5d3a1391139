/** What every git activity shares: the repository handle, argument guards and error classification. */
import { realpathSync } from 'node:fs';
import type { SimpleGit } from 'simple-git';
import { simpleGit } from 'simple-git';
import type { Config } from '../config/schema.js';
import { gitEnvironment } from '../lib/git-env.js';
import { GitCommandFailed, GitDirtyWorkTree, GitInvalidCommit, InvalidArgument, RepoNotConfigured } from './errors.js';

export interface CommitInfo {
  sha: string;
  author: string;
  date: string;
  subject: string;
  /** Parent hashes: more than one is a merge, which rollback_code does not revert. */
  parents: string[];
}

/** SPEC: git commands time out after 30 s (without progress output). */
export const GIT_TIMEOUT_MS = 30_000;

const SHA = /^[0-9a-f]{7,40}$/i;
const DIRTY = /would be overwritten|commit your changes or stash|local changes/i;
const PERMANENT =
  /is a merge but no -m|author identity unknown|tell me who you are|nothing to commit|not a git repository|couldn't find remote ref|does not appear to be a git repository/i;

export const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).trim().slice(0, 2_000);

/** `repo.dir`, or RepoNotConfigured: the code handlers never guess which checkout to change. */
export function repoDirOf(config: Pick<Config, 'repo'>): string {
  const dir = config.repo.dir;
  if (dir === undefined)
    throw new RepoNotConfigured(
      'repo.dir is not configured: the code handlers act only on a checkout named in the configuration',
    );
  return dir;
}

/**
 * The repository, never through a shell; a fresh instance per call carries that call's cancellation.
 * `extraEnv` is for plumbing that needs its own variables (a temporary index).
 */
export function openRepo(
  config: Pick<Config, 'repo'>,
  signal?: AbortSignal,
  extraEnv: Record<string, string> = {},
): SimpleGit {
  const { env, allowEnvironment, unsafe } = gitEnvironment({ ...process.env, ...extraEnv });
  return simpleGit({
    baseDir: repoDirOf(config),
    maxConcurrentProcesses: 1,
    timeout: { block: GIT_TIMEOUT_MS },
    abort: signal,
    allowEnvironment,
    unsafe,
    // simple-git's default ignores a non-zero exit with an empty stderr (rev-parse --quiet): any failure counts.
    errors: (error, result) =>
      error ?? (result.exitCode === 0 ? undefined : Buffer.concat([...result.stdErr, ...result.stdOut])),
  }).env(env);
}

/** Options and revisions come from config or from git itself; still, nothing may pass as an option. */
export function checkRef(kind: string, value: string): string {
  if (value === '' || value.startsWith('-') || /\s/.test(value))
    throw new InvalidArgument(`repo.${kind} ${JSON.stringify(value)} is not usable`);
  return value;
}

export async function head(git: SimpleGit): Promise<string> {
  return (await git.raw(['rev-parse', 'HEAD'])).trim();
}

/** The full hash of an existing commit, or GitInvalidCommit. */
export async function resolveCommit(git: SimpleGit, sha: string): Promise<string> {
  if (!SHA.test(sha)) throw new GitInvalidCommit(sha, 'not a commit hash');
  try {
    return (await git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${sha}^{commit}`])).trim();
  } catch (error) {
    // --quiet: an unknown commit fails without a word; anything said is another problem.
    if (messageOf(error) === '') throw new GitInvalidCommit(sha, 'no such commit in the repository');
    throw classify('rev-parse', error);
  }
}

/** A ref's commit, or undefined when the ref does not exist. */
export async function refCommit(git: SimpleGit, ref: string): Promise<string | undefined> {
  return git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).then(
    (out) => out.trim(),
    () => undefined,
  );
}

export async function revertInProgress(git: SimpleGit): Promise<boolean> {
  return (await refCommit(git, 'REVERT_HEAD')) !== undefined;
}

/** Retrying a deterministic refusal only repeats it; anything else (network, lock file) may pass later. */
export function classify(operation: string, error: unknown): Error {
  const message = messageOf(error);
  if (DIRTY.test(message)) return new GitDirtyWorkTree(operation, message);
  if (PERMANENT.test(message)) return new GitCommandFailed(operation, message);
  return new Error(`git ${operation} failed: ${message}`);
}

/**
 * Paths with local changes, tracked or untracked (ignored files are not the operator's work and stay
 * out). NUL-separated porcelain: names with spaces or newlines come through intact.
 */
export async function changedPaths(git: SimpleGit): Promise<string[]> {
  const out = await git.raw(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=none']);
  const entries = out.split('\0').filter((entry) => entry !== '');
  const paths: string[] = [];
  for (let i = 0; i < entries.length; i += 1) {
    const entry = entries[i] ?? '';
    paths.push(entry.slice(3));
    // A rename or copy is followed by its source path.
    if (entry[0] === 'R' || entry[0] === 'C') i += 1;
  }
  return paths;
}

/** "a, b, c and 12 more": enough to find them, short enough for a result file. */
export function listPaths(paths: string[], max = 20): string {
  const shown = paths.slice(0, max).join(', ');
  return paths.length > max ? `${shown} and ${paths.length - max} more` : shown;
}

/** The trailer on every revert commit the supervisor makes: how update_code knows them from other local work. */
export const SUPERVISOR_TRAILER = 'Supervisor-Task';

/**
 * The configured repository, after checking that it is the top of a checkout: a `repo.dir` inside
 * another checkout (a missing var/sample-repo inside the supervisor's own, say) must not let git act
 * on the enclosing repository.
 */
export async function checkedRepo(config: Pick<Config, 'repo'>, signal?: AbortSignal): Promise<SimpleGit> {
  const dir = repoDirOf(config);
  let git: SimpleGit;
  let top: string;
  try {
    git = openRepo(config, signal);
    top = (await git.raw(['rev-parse', '--show-toplevel'])).trim();
  } catch (error) {
    throw new RepoNotConfigured(
      `repo.dir ${dir} is not a git checkout: ${error instanceof Error ? error.message.trim() : String(error)}`,
    );
  }
  if (realpathSync(top) !== realpathSync(dir))
    throw new RepoNotConfigured(`repo.dir ${dir} is not the top of a git checkout (git would act on ${top})`);
  return git;
}

export async function lastCommits(git: SimpleGit, n: number): Promise<CommitInfo[]> {
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgument(`commit count ${n} is not between 1 and 100`);
  const out = await git.raw(['log', `--max-count=${n}`, '--format=%H%x1f%an%x1f%aI%x1f%P%x1f%s', 'HEAD', '--']);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [sha = '', author = '', date = '', parents = '', subject = ''] = line.split('\x1f');
      return { sha, author, date, subject, parents: parents.split(' ').filter((p) => p !== '') };
    });
}

/** `repo.dirty: refuse` met local changes: the refusal names them and the ways out. */
export function dirtyRefusal(config: Pick<Config, 'repo'>, operation: string, paths: string[]): GitDirtyWorkTree {
  return new GitDirtyWorkTree(
    operation,
    `${config.repo.dir} has local changes and repo.dirty is refuse (${listPaths(paths)}); commit them, remove them, or set repo.dirty: stash`,
    paths,
  );
}

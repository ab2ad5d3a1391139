import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/**
 * A real git repository for tests: a bare "remote", a working clone (the supervised code) and a
 * second clone that plays the developer pushing new commits. No user or system git config leaks in.
 */
export interface GitFixture {
  remote: string;
  work: string;
  upstream: string;
  /** Runs git in `cwd` and returns trimmed stdout. */
  git: (cwd: string, ...args: string[]) => Promise<string>;
  head: (cwd: string) => Promise<string>;
  /** Writes `files` in `cwd` and commits them; returns the new commit hash. */
  commit: (cwd: string, message: string, files: Record<string, string>) => Promise<string>;
  /** Commits in the upstream clone and pushes to the remote; returns the new commit hash. */
  pushUpstream: (message: string, files: Record<string, string>) => Promise<string>;
  /** Subjects of the last `n` commits of `cwd`, newest first. */
  subjects: (cwd: string, n: number) => Promise<string[]>;
}

export const GIT_ENV = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.test',
  GIT_TERMINAL_PROMPT: '0',
};

/**
 * Sets the git environment on this process too, so code under test (simple-git inherits
 * process.env) runs without the developer's ~/.gitconfig. Call once per test file.
 */
export function isolateGitEnv(): void {
  Object.assign(process.env, GIT_ENV);
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execa('git', args, { cwd, env: GIT_ENV, stdin: 'ignore' });
  return stdout.trim();
}

async function commit(cwd: string, message: string, files: Record<string, string>): Promise<string> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(cwd, name, '..'), { recursive: true });
    await writeFile(join(cwd, name), text);
  }
  await git(cwd, 'add', '--all');
  await git(cwd, 'commit', '--quiet', '--allow-empty', '-m', message);
  return git(cwd, 'rev-parse', 'HEAD');
}

/** Remote with one initial commit on `main`, cloned into `work` and `upstream` under `dir`. */
export async function makeGitFixture(dir: string): Promise<GitFixture> {
  const remote = join(dir, 'remote.git');
  const work = join(dir, 'work');
  const upstream = join(dir, 'upstream');
  await git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  await git(dir, 'init', '--quiet', '--initial-branch=main', upstream);
  await git(upstream, 'remote', 'add', 'origin', remote);
  await commit(upstream, 'initial', { 'app.txt': 'line 1\n' });
  await git(upstream, 'push', '--quiet', 'origin', 'main');
  await git(dir, 'clone', '--quiet', '--branch', 'main', remote, work);
  return {
    remote,
    work,
    upstream,
    git,
    head: (cwd) => git(cwd, 'rev-parse', 'HEAD'),
    commit,
    pushUpstream: async (message, files) => {
      const sha = await commit(upstream, message, files);
      await git(upstream, 'push', '--quiet', 'origin', 'main');
      return sha;
    },
    subjects: async (cwd, n) => (await git(cwd, 'log', `--max-count=${n}`, '--format=%s')).split('\n'),
  };
}

/** A local commit in `work` that the remote does not have: the next pull cannot fast-forward. */
export async function divergeWork(fixture: GitFixture): Promise<string> {
  await fixture.pushUpstream('upstream change', { 'upstream.txt': 'from upstream\n' });
  return fixture.commit(fixture.work, 'local change', { 'local.txt': 'only here\n' });
}

/**
 * Three commits in `work` where reverting the middle one conflicts: the newest commit rewrites the
 * line the middle one introduced. Returns their hashes, oldest first.
 */
export async function makeRevertConflict(
  fixture: GitFixture,
): Promise<{ first: string; middle: string; newest: string }> {
  const first = await fixture.commit(fixture.work, 'add notes', { 'notes.txt': 'note\n' });
  const middle = await fixture.commit(fixture.work, 'change line', { 'app.txt': 'line 1 changed\n' });
  const newest = await fixture.commit(fixture.work, 'change line again', { 'app.txt': 'line 1 changed twice\n' });
  return { first, middle, newest };
}

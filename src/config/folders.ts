import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gitEnvironment, SUPERVISOR_IDENTITY } from '../lib/git-env.js';
import type { Config } from './schema.js';

/** Creates the NAS folders and the parents of every file the supervisor writes; returns what it ensured. */
export function prepareFolders(config: Config): string[] {
  const folders = new Set([
    ...Object.values(config.paths),
    path.dirname(config.watcher.log_file),
    path.dirname(config.watcher.heartbeat_file),
    path.dirname(config.logging.file),
  ]);
  for (const folder of folders) mkdirSync(folder, { recursive: true });
  if (config.repo.sample && config.repo.dir !== undefined) prepareSampleRepo(config.repo.dir, config.repo.branch);
  return [...folders];
}

const SAMPLE_README = `Sample checkout for the sample watcher (repo.sample: true, the built-in defaults).
update_code brings it to the head of the sample remote beside it (sample-repo-remote.git);
push a commit there to try an update, or run rollback_code after a few local commits.
`;

/**
 * `repo.sample`: a git checkout at `dir` with one commit, and a bare "remote" beside it as origin, so
 * the code handlers have something harmless to work on. Only ever created: an existing `dir` is left
 * exactly as it is.
 */
export function prepareSampleRepo(dir: string, branch: string): void {
  if (existsSync(dir)) return;
  const remote = path.join(path.dirname(dir), `${path.basename(dir)}-remote.git`);
  const { env } = gitEnvironment();
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, env: { ...env, ...SUPERVISOR_IDENTITY }, stdio: ['ignore', 'ignore', 'pipe'] });
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', `--initial-branch=${branch}`);
  // Reverts made by rollback_code need an identity; a fresh machine may have none configured.
  git(dir, 'config', 'user.name', SUPERVISOR_IDENTITY.GIT_AUTHOR_NAME);
  git(dir, 'config', 'user.email', SUPERVISOR_IDENTITY.GIT_AUTHOR_EMAIL);
  writeFileSync(path.join(dir, 'README.txt'), SAMPLE_README);
  git(dir, 'add', '--', 'README.txt');
  git(dir, 'commit', '--quiet', '-m', 'sample checkout');
  if (!existsSync(remote))
    git(path.dirname(dir), 'init', '--quiet', '--bare', `--initial-branch=${branch}`, '--', remote);
  git(dir, 'remote', 'add', 'origin', remote);
  git(dir, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
}

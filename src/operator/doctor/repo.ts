/** `repo.dir`: a git checkout (its own top level) with the configured remote and branch. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { run } from '../../lib/exec.js';
import { gitEnvironment } from '../../lib/git-env.js';
import { advise, fail, messageOf, pass } from './check.js';
import type { CheckRow } from './check.js';

const GROUP = 'repo';

async function git(dir: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', args, { cwd: dir, env: gitEnvironment().env, timeoutMs: 10_000 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

export async function repoChecks(config: Config): Promise<CheckRow[]> {
  const { dir, remote, branch, sample } = config.repo;
  if (dir === undefined)
    return [
      advise(
        GROUP,
        'checkout',
        'repo.dir is not set: update_code and rollback_code refuse to run',
        "set repo.dir to the watcher's checkout",
      ),
    ];
  try {
    await stat(dir);
  } catch (error) {
    if (sample)
      return [
        advise(
          GROUP,
          'checkout',
          `${dir} does not exist yet`,
          'supervisor start creates the sample checkout (repo.sample: true)',
        ),
      ];
    return [
      fail(
        GROUP,
        'checkout',
        `${dir} does not exist (${messageOf(error)})`,
        "clone the watcher's repository there, or fix repo.dir",
      ),
    ];
  }
  const top = await git(dir, ['rev-parse', '--show-toplevel']);
  if (top === undefined || path.resolve(top) !== path.resolve(dir))
    return [
      fail(
        GROUP,
        'checkout',
        top === undefined ? `${dir} is not a git checkout` : `${dir} is inside the checkout ${top}, not its top`,
        'point repo.dir at the top of a git clone',
      ),
    ];
  const rows = [pass(GROUP, 'checkout', `${dir} is a git checkout`)];
  const url = await git(dir, ['remote', 'get-url', '--', remote]);
  rows.push(
    url === undefined
      ? fail(
          GROUP,
          'remote',
          `no remote ${remote} in ${dir}`,
          `git -C ${dir} remote add ${remote} <url>, or fix repo.remote`,
        )
      : pass(GROUP, 'remote', `${remote} → ${url.replace(/\/\/[^@/]*@/, '//***@')}`),
  );
  const local = await git(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
  const tracking = await git(dir, ['rev-parse', '--verify', '--quiet', `refs/remotes/${remote}/${branch}`]);
  rows.push(
    local === undefined && tracking === undefined
      ? fail(
          GROUP,
          'branch',
          `no branch ${branch} (neither local nor ${remote}/${branch})`,
          `git -C ${dir} fetch ${remote}, or fix repo.branch`,
        )
      : pass(GROUP, 'branch', `${branch}${local === undefined ? ` (only ${remote}/${branch})` : ''}`),
  );
  return rows;
}

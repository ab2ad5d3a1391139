import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Config } from '../../../src/config/schema.js';
import type { HandlerResult } from '../../../src/contract/handlers.js';
import type { GitFixture } from '../../helpers/git.js';
import { makeGitFixture } from '../../helpers/git.js';
import { isProcessAlive, waitFor } from '../../helpers/process.js';
import type { RunningWorker } from '../../helpers/supervisor-env.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { killSeen, watcherPid, spawnWorkerProcess } from './support.js';
import { useSupervisorEnv } from '../../helpers/use-supervisor-env.js';

describe('a worker SIGKILLed in the middle of rollback_code', () => {
  const env = useSupervisorEnv();
  let temp: TempDir;
  let repo: GitFixture;
  let config: Config;
  let worker: RunningWorker | undefined;

  afterEach(async () => {
    await worker?.stop();
    killSeen();
    await temp?.cleanup();
  });

  it('finishes after a restart with every commit reverted exactly once and the watcher running', async () => {
    temp = await makeTempDir('ts-handlers-crash-');
    repo = await makeGitFixture(temp.path);
    config = env.config(path.join(temp.path, 'nas'), { repoDir: repo.work });
    // Each commit (a revert too) takes a moment in a post-commit hook, so the kill lands inside a revert.
    await writeFile(path.join(repo.work, '.git', 'hooks', 'post-commit'), '#!/bin/sh\nsleep 0.4\n', { mode: 0o755 });
    const commits = [];
    for (const name of ['one', 'two', 'three', 'four', 'five'])
      commits.push(await repo.commit(repo.work, name, { [`${name}.txt`]: `${name}\n` }));

    const { child } = await spawnWorkerProcess(env, config, temp.path);

    const handle = await env.start(config, {
      task_id: 'rb_crash',
      handler: 'rollback_code',
      requested_by: 'ops',
      params: { commits_back: 5 },
    });
    // Killed as soon as the first revert commit exists: the rest of the rollback is still ahead.
    await waitFor(
      'first revert',
      async () => (await repo.subjects(repo.work, 1))[0]?.startsWith('Revert') === true,
      30_000,
      5,
    );
    child.kill('SIGKILL');
    await child;
    const revertsAtKill = (await repo.subjects(repo.work, 6)).filter((subject) => subject.startsWith('Revert')).length;
    expect(revertsAtKill).toBeLessThan(5);
    expect(await isProcessAlive(child.pid ?? 0)).toBe(false);

    worker = await env.startWorker(config);
    const result = (await handle.result()) as HandlerResult;
    expect(result).toMatchObject({
      success: true,
      details: { commits_reverted: 5, reverted_commits: [...commits].reverse() },
    });
    // The kill landed while the first revert's hook ran: that revert was committed by the dead worker's
    // git, its activity timed out, and the retry recognised the finished revert instead of making another.
    expect(result.details.already_reverted).toEqual([commits[4]]);
    const subjects = await repo.subjects(repo.work, 11);
    expect(subjects).toEqual([
      'Revert "one"',
      'Revert "two"',
      'Revert "three"',
      'Revert "four"',
      'Revert "five"',
      'five',
      'four',
      'three',
      'two',
      'one',
      'initial',
    ]);
    expect(await repo.git(repo.work, 'status', '--porcelain')).toBe('');
    expect(await watcherPid(config)).toBeDefined();
  }, 180_000);
});

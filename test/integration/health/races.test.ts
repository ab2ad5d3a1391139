import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Config } from '../../../src/config/schema.js';
import type { KeepAliveState } from '../../../src/contract/supervision.js';
import type { GitFixture } from '../../helpers/git.js';
import { makeGitFixture } from '../../helpers/git.js';
import { waitFor } from '../../helpers/process.js';
import type { RunningWorker } from '../../helpers/supervisor-env.js';
import { activitiesFor } from '../../helpers/activities.js';
import { NO_REPLAY, useSupervisorEnv } from '../../helpers/use-supervisor-env.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { killSeen, ndjsonAudit, seenPids, spawnWorkerProcess, waitForBeat, watcherPid } from '../handlers/support.js';
import { healthConfig, keepAliveOf, startKeepAlive, waitForKeepAlive } from './support.js';

describe('keep-alive against handlers and a crashing supervisor', () => {
  const env = useSupervisorEnv(NO_REPLAY);
  let temp: TempDir;
  let config: Config;
  let worker: RunningWorker | undefined;

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    killSeen();
    await temp?.cleanup();
  });

  it('waits (held) while update_code_deps has the watcher stopped, and does not restart it behind the handler', async () => {
    temp = await makeTempDir('ts-keepalive-held-');
    const repo: GitFixture = await makeGitFixture(temp.path);
    // The install takes 1.5 s with the watcher stopped: the keep-alive sees it down the whole time.
    const depsInstall = { command: process.execPath, args: ['-e', 'setTimeout(() => {}, 1500)'], timeout: '30s' };
    config = healthConfig(env, path.join(temp.path, 'nas'), {
      repoDir: repo.work,
      extra: { repo: { dir: repo.work, deps_install: depsInstall } },
    });
    worker = await env.startWorker(config);
    const acts = activitiesFor(config);
    const { pid } = await acts.startWatcher();
    seenPids.add(pid);
    await waitForBeat(config, pid);
    await startKeepAlive(env.client, config);
    await waitForKeepAlive(env.client, config, 'watching', (state) => state.state === 'running');

    const handle = await env.start(config, { task_id: 'deps_1', handler: 'update_code_deps', requested_by: 'ops' });
    const seen = new Set<KeepAliveState['state']>();
    let done = false;
    const result = handle.result().finally(() => {
      done = true;
    });
    while (!done) {
      const state = await keepAliveOf(env.client, config).catch(() => undefined);
      if (state !== undefined) seen.add(state.state);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const outcome = (await result) as { success: boolean; details: { pid?: number } };
    expect(outcome.success).toBe(true);
    expect(seen.has('held')).toBe(true);
    await waitForKeepAlive(env.client, config, 'watching again', (state) => state.state === 'running');
    // The running watcher is the handler's; the keep-alive restarted nothing.
    expect(await watcherPid(config)).toBe(outcome.details.pid);
    expect(await keepAliveOf(env.client, config)).toMatchObject({ totalRestarts: 0 });
    expect((await ndjsonAudit(config)).filter((row) => row.handler === 'keepalive')).toEqual([]);
  }, 60_000);

  it('carries the restart count over a SIGKILLed worker and restarts the watcher that died meanwhile', async () => {
    temp = await makeTempDir('ts-keepalive-crash-worker-');
    config = healthConfig(env, path.join(temp.path, 'nas'));
    const { child } = await spawnWorkerProcess(env, config, temp.path);

    // The watcher is down at first: the keep-alive starts it, and that first start is not a restart.
    await startKeepAlive(env.client, config);
    const first = await waitFor('first watcher', () => watcherPid(config), 15_000);
    await waitForKeepAlive(
      env.client,
      config,
      'first start',
      (state) => state.state === 'running' && state.totalRestarts === 0,
    );

    child.kill('SIGKILL');
    await child;
    process.kill(first, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await watcherPid(config)).toBeUndefined();

    worker = await env.startWorker(config);
    const second = await waitFor(
      'watcher restarted by the new worker',
      async () => {
        const pid = await watcherPid(config);
        return pid !== undefined && pid !== first ? pid : undefined;
        // A deadline, not a timing: the new worker's bundle load and the dead watch's timeout take long on a busy machine.
      },
      60_000,
    );
    await waitForBeat(config, second);
    const state = await waitForKeepAlive(
      env.client,
      config,
      'one restart',
      (s) => s.state === 'running' && s.totalRestarts === 1,
      15_000,
    );
    expect(state.restartsInWindow).toBe(1);
  }, 120_000);
});

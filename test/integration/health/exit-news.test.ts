/**
 * Issue 16: the worker that started the watcher learns of its death from the kernel, not from the next poll.
 * The keep-alive here looks at the watcher only every ten minutes (and its watch heartbeats as rarely, so no
 * heartbeat timeout retries the watch early): a SIGKILLed watcher is replaced within the test only by the news.
 */
import { describe, expect, it } from '@jest/globals';
import { isProcessAlive, waitFor } from '../../helpers/process.js';
import { ndjsonAudit, waitForBeat, watcherPid } from '../handlers/support.js';
import { startKeepAlive, useKeepAliveEnv, waitForKeepAlive } from './support.js';

const TEN_MINUTES = 600_000;

describe('keep-alive exit news', () => {
  const { env, configure, startWorker, replacementOf } = useKeepAliveEnv();

  it('restarts a SIGKILLed watcher it started although its poll is far longer than the test', async () => {
    const config = await configure('ts-exit-news-');
    await startWorker(config);
    await startKeepAlive(env.client, config, {
      pollMs: TEN_MINUTES,
      watchHeartbeatTimeoutMs: TEN_MINUTES,
      maxWatchMs: TEN_MINUTES,
    });
    // The keep-alive starts the watcher itself (nothing ran): the worker is its parent.
    const pid = await waitFor('the first watcher', () => watcherPid(config));
    await waitForBeat(config, pid);
    await waitFor('the watch under way', async () =>
      (await ndjsonAudit(config)).some((row) => row.action === 'watcher_started') ? true : undefined,
    );
    await waitForKeepAlive(env.client, config, 'watching', (state) => state.lastObservation === 'running');
    process.kill(pid, 'SIGKILL');
    const replacement = await replacementOf(config, pid);
    expect(await isProcessAlive(pid)).toBe(false);
    const restarted = await waitFor('the restart audit row', async () =>
      (await ndjsonAudit(config)).find((row) => row.action === 'watcher_restarted'),
    );
    expect(restarted.details).toMatchObject({ reason: 'down', pid: replacement, counted: true });
    expect(await waitForKeepAlive(env.client, config, 'running', (s) => s.state === 'running')).toMatchObject({
      restartsInWindow: 1,
      totalRestarts: 1,
    });
  }, 60_000);
});

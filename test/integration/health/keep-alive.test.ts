import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import type { Config } from '../../../src/config/schema.js';
import { eventsFileOf } from '../../../src/nas/paths.js';
import { keepAliveWorkflowId } from '../../../src/contract/ids.js';
import { activitiesFor } from '../../helpers/activities.js';
import { FAST_TIMING, silentLogger } from '../../helpers/config.js';
import type { FakeWatcherVariant } from '../../helpers/fake-watcher.js';
import { isProcessAlive, waitFor } from '../../helpers/process.js';
import { ndjsonAudit, waitForBeat, watcherPid } from '../handlers/support.js';
import { HANG_TEST_TIMEOUT, keepAliveOf, startKeepAlive, useKeepAliveEnv, waitForKeepAlive } from './support.js';

describe('keep-alive', () => {
  // Determinism: every keep-alive run this file produced replays against the bundle.
  const { env, configure, configureCrashing, startWorker, watching, replacementOf } = useKeepAliveEnv();
  let config: Config;
  let n = 0;

  /** Worker running, watcher started outside the keep-alive and beating, keep-alive watching it. */
  async function setUp(variant: FakeWatcherVariant = 'well-behaved', hangTimeout?: string): Promise<number> {
    config = await configure('ts-keepalive-', { variant, hangTimeout });
    return watching(config);
  }

  const newWatcher = (old: number, timeoutMs?: number): Promise<number> => replacementOf(config, old, timeoutMs);

  it('restarts a watcher killed with SIGKILL', async () => {
    const pid = await setUp();
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const replacement = await newWatcher(pid);
    // Measured for the log only: the figure belongs to bench/restart.ts.
    silentLogger.info({ delayMs: Date.now() - killedAt }, 'restart delay');
    expect(replacement).not.toBe(pid);
    const state = await waitForKeepAlive(env.client, config, 'running again', (s) => s.state === 'running');
    expect(state).toMatchObject({ restartsInWindow: 1, totalRestarts: 1, failedReason: null });
    const rows = await waitFor('restart audit row', async () => {
      const found = (await ndjsonAudit(config)).filter((row) => row.handler === 'keepalive');
      return found.length > 0 ? found : undefined;
    });
    expect(rows).toEqual([
      expect.objectContaining({
        action: 'watcher_restarted',
        success: true,
        details: expect.objectContaining({ reason: 'down', pid: replacement }),
      }),
    ]);
  });

  it('kills and restarts a watcher that stays alive but stops heartbeating, after the hang timeout', async () => {
    const pid = await setUp('stops-heartbeating', HANG_TEST_TIMEOUT);
    const replacement = await newWatcher(pid, 20_000);
    expect(await isProcessAlive(pid)).toBe(false);
    // "After the hang timeout" is what the keep-alive saw (the heartbeat's age), not the test's clock: a slower
    // server may finish the set-up after the hang already began.
    const hung = await waitFor('hang audit row', async () =>
      (await ndjsonAudit(config)).find((r) => r.action === 'watcher_hung'),
    );
    expect(hung.details).toMatchObject({ pid, hang_timeout_ms: 3_000 });
    expect(hung.details.heartbeat_age_ms).toBeGreaterThanOrEqual(3_000);
    // The audit row follows the start: wait for it rather than race it.
    const row = await waitFor('restart audit row', async () =>
      (await ndjsonAudit(config)).find((r) => r.action === 'watcher_restarted'),
    );
    expect(row.details).toMatchObject({ reason: 'hung', pid: replacement });
  });

  it('never restarts a paused watcher', async () => {
    const pid = await setUp();
    await activitiesFor(config).createPauseFlag({ who: 'ops', label: 'maintenance' });
    process.kill(pid, 'SIGKILL');
    await waitForKeepAlive(env.client, config, 'paused', (state) => state.state === 'paused');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await watcherPid(config)).toBeUndefined();
    expect(await keepAliveOf(env.client, config)).toMatchObject({ state: 'paused', totalRestarts: 0 });
  });

  it('spends exactly the budget on an always-crashing watcher, then fails until an operator resumes it', async () => {
    const crashing = await configureCrashing('ts-keepalive-crash-');
    config = crashing.config;
    await startWorker(config);
    await startKeepAlive(env.client, config);
    const failed = await waitForKeepAlive(env.client, config, 'failed', (state) => state.state === 'failed', 30_000);
    expect(failed).toMatchObject({ restartsInWindow: 3, totalRestarts: 3 });
    expect(failed.failedReason).toContain('budget 3');
    // The query answers 'failed' as soon as the workflow decided it; the audit activity lands after.
    const audit = await waitFor('the watcher_failed audit row', async () => {
      const rows = await ndjsonAudit(config);
      return rows.some((row) => row.action === 'watcher_failed') ? rows : undefined;
    });
    // The first start found nothing of ours running: not a restart; the three after crashes are.
    expect(audit.filter((row) => row.action === 'watcher_started')).toHaveLength(1);
    expect(audit.filter((row) => row.action === 'watcher_restarted')).toHaveLength(3);
    expect(audit.filter((row) => row.action === 'watcher_failed')).toEqual([
      expect.objectContaining({ handler: 'keepalive', success: false, actor: 'supervisor' }),
    ]);
    // The same decision goes out on the event stream, for alerting.
    const events = await waitFor('the watcher_failed event', async () => {
      const lines = (await readFile(eventsFileOf(config.paths), 'utf8').catch(() => '')).trim().split('\n');
      const all = lines.filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
      return all.some((event) => event.type === 'watcher_failed') ? all : undefined;
    });
    expect(events.filter((event) => event.type === 'watcher_failed')).toEqual([
      expect.objectContaining({
        v: 1,
        worker_id: config.worker_id,
        success: false,
        details: expect.objectContaining({ restarts_in_window: 3 }),
      }),
    ]);
    expect(events.filter((event) => event.type === 'watcher_restarted')).toHaveLength(3);

    // Nothing restarts it on its own.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await watcherPid(config)).toBeUndefined();
    expect(await keepAliveOf(env.client, config)).toMatchObject({ state: 'failed', totalRestarts: 3 });

    // The operator fixes the cause and resumes: the handler starts the watcher and resets the keep-alive.
    await writeFile(crashing.healthyFile, 'fixed\n');
    const result = await env.run(config, { task_id: `resume_${++n}`, handler: 'resume_watcher', requested_by: 'ops' });
    expect(result.success).toBe(true);
    const back = await waitForKeepAlive(
      env.client,
      config,
      'running after resume',
      (state) => state.state === 'running',
    );
    expect(back).toMatchObject({ restartsInWindow: 0, failedReason: null });
    const reset = await waitFor('reset audit row', async () =>
      (await ndjsonAudit(config)).find((row) => row.action === 'watcher_budget_reset'),
    );
    expect(String(reset.details.reason)).toMatch(/^resume_watcher resume_\d+$/);
    expect(await watcherPid(config)).toBeDefined();
  }, 60_000);

  it('carries its counters across continue-as-new', async () => {
    config = await configure('ts-keepalive-can-');
    await startWorker(config);
    // A tiny history budget and short watches: the keep-alive continues as new every few loops.
    await startKeepAlive(env.client, config, { maxHistoryEvents: 40, maxWatchMs: 200 });
    const handle = env.client.workflow.getHandle(keepAliveWorkflowId(config.worker_id));
    const firstRun = (await handle.describe()).runId;
    let pid = await waitFor('watcher', () => watcherPid(config), 15_000);
    for (let kill = 0; kill < 2; kill += 1) {
      await waitForBeat(config, pid);
      // Not within the start's grace period: a watcher dead by then is a failed start, one more restart.
      await waitForKeepAlive(env.client, config, 'the start done', (s) => s.state === 'running');
      process.kill(pid, 'SIGKILL');
      pid = await newWatcher(pid);
    }
    await waitFor('a continued run', async () => (await handle.describe()).runId !== firstRun, 15_000);
    // The first start (nothing of ours ran) is not a restart: two kills, two restarts.
    const state = await waitForKeepAlive(
      env.client,
      config,
      'two restarts',
      (s) => s.state === 'running' && s.totalRestarts === 2,
    );
    expect(state.restartsInWindow).toBe(2);
  }, 60_000);

  it('counts starts that fail at once against the budget too, and ends failed', async () => {
    // Dies within the start grace period: every startWatcher fails (WatcherStartFailed).
    config = (await configureCrashing('ts-keepalive-nostart-', 0)).config;
    // A grace period long enough for Node to start and crash even on a loaded machine, so each start fails.
    await startWorker(config, { timing: { ...FAST_TIMING, startGraceMs: 3_000 } });
    await startKeepAlive(env.client, config);
    const failed = await waitForKeepAlive(env.client, config, 'failed', (state) => state.state === 'failed', 30_000);
    expect(failed).toMatchObject({ restartsInWindow: 3, totalRestarts: 3 });
    const restarts = (await ndjsonAudit(config)).filter((row) => row.action === 'watcher_restarted');
    expect(restarts).toHaveLength(3);
    for (const row of restarts)
      expect(row).toMatchObject({
        success: false,
        details: expect.objectContaining({ pid: null, error: expect.stringContaining('exited right after start') }),
      });
  }, 60_000);
});

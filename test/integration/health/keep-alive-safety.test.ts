/**
 * Issue 11, the keep-alive's half: a hung (SIGSTOPped) watcher is audited at once, continued and
 * stopped without the whole stop_timeout; a changed command line replaces the running watcher; the
 * first start is not a restart. Real processes, the embedded engine, the supervisor's own worker.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { pidFilePath } from '../../../src/nas/paths.js';
import type { Config } from '../../../src/config/schema.js';
import type { FakeWatcherVariant } from '../../helpers/fake-watcher.js';
import { isProcessAlive, waitFor } from '../../helpers/process.js';
import { ndjsonAudit, seenPids, waitForBeat, watcherPid } from '../handlers/support.js';
import { HANG_TEST_TIMEOUT, keepAliveOf, startKeepAlive, useKeepAliveEnv, waitForKeepAlive } from './support.js';

describe('keep-alive safety', () => {
  const keepAlive = useKeepAliveEnv();
  const { env, startWorker } = keepAlive;
  let config: Config;

  /** A config of `variant` with a short hang timeout and the given stop timeouts (ms). */
  async function configure(variant: FakeWatcherVariant, watcher: Partial<Config['watcher']> = {}): Promise<void> {
    const base = await keepAlive.configure('ts-keepalive-safety-', { variant, hangTimeout: HANG_TEST_TIMEOUT });
    config = { ...base, watcher: { ...base.watcher, ...watcher } };
  }

  const watching = (): Promise<number> => keepAlive.watching(config);
  const replacementOf = (old: number): Promise<number> => keepAlive.replacementOf(config, old);

  const auditRow = (action: string) =>
    waitFor(`${action} audit row`, async () => (await ndjsonAudit(config)).find((row) => row.action === action));

  it('audits a SIGSTOPped watcher as hung at once, continues it so SIGTERM ends it, and restarts it', async () => {
    // Ten minutes of grace each, far past the test's timeout: without SIGCONT the stopped watcher would sit them
    // out before its SIGKILL, and the replacement could not come within the test.
    await configure('well-behaved', { stop_timeout: 600_000, hang_stop_timeout: 600_000 });
    const pid = await watching();
    process.kill(pid, 'SIGSTOP');
    const hung = await auditRow('watcher_hung');
    expect(hung).toMatchObject({
      handler: 'keepalive',
      success: false,
      details: expect.objectContaining({ pid, hang_timeout_ms: 3_000 }),
    });
    expect(Number(hung.details.heartbeat_age_ms)).toBeGreaterThan(3_000);
    const replacement = await replacementOf(pid);
    expect(await isProcessAlive(pid)).toBe(false);
    const restarted = await auditRow('watcher_restarted');
    expect(restarted.details).toMatchObject({
      reason: 'hung',
      pid: replacement,
      stopped_by: 'sigterm',
      resumed: [pid],
      counted: true,
    });
    const actions = (await ndjsonAudit(config)).map((row) => row.action);
    expect(actions.indexOf('watcher_hung')).toBeLessThan(actions.indexOf('watcher_restarted'));
  }, 60_000);

  it('kills a hung watcher that does not react after hang_stop_timeout, not the whole stop_timeout', async () => {
    await configure('ignore-sigterm', { stop_timeout: 120_000, hang_stop_timeout: 300 });
    const pid = await watching();
    process.kill(pid, 'SIGSTOP');
    // 120 s of stop_timeout would outlast this wait: only the short hang grace lets the replacement come.
    const replacement = await replacementOf(pid);
    expect(await isProcessAlive(pid)).toBe(false);
    const restarted = await auditRow('watcher_restarted');
    expect(restarted.details).toMatchObject({
      reason: 'hung',
      pid: replacement,
      stopped_by: 'sigkill',
      resumed: [pid],
    });
  }, 60_000);

  it('replaces a running watcher whose command line is no longer the configured one, outside the budget', async () => {
    await configure('well-behaved');
    const pid = await watching();
    await keepAlive.stopWorkers();
    // The operator changes watcher.args and restarts the supervisor: the new worker sees the new config.
    const args = [...config.watcher.args, '--interval-ms=60'];
    config = { ...config, watcher: { ...config.watcher, args } };
    await startWorker(config);
    const replacement = await replacementOf(pid);
    expect(await isProcessAlive(pid)).toBe(false);
    const argv = (await readFile(`/proc/${replacement}/cmdline`, 'utf8')).split('\0').filter((arg) => arg !== '');
    expect(argv.slice(1)).toEqual(args);
    const changed = await auditRow('watcher_command_changed');
    expect(changed).toMatchObject({ handler: 'keepalive', success: true, actor: 'supervisor' });
    expect(changed.details).toMatchObject({
      old_pid: pid,
      pid: replacement,
      to: [config.watcher.command, ...args].join(' '),
    });
    expect(String(changed.details.from)).not.toContain('--interval-ms=60');
    const state = await waitForKeepAlive(env.client, config, 'running the new command', (s) => s.state === 'running');
    expect(state).toMatchObject({ restartsInWindow: 0, totalRestarts: 0 });
  }, 60_000);

  it('does not count the first start: with max_restarts 1, one kill -9 of a healthy watcher is restarted, not failed', async () => {
    await configure('well-behaved');
    config = {
      ...config,
      health: { ...config.health, restart_budget: { ...config.health.restart_budget, max_restarts: 1 } },
    };
    await startWorker(config);
    // The watcher is down when the keep-alive first looks: it starts it, as `supervisor start` does.
    await startKeepAlive(env.client, config);
    const first = await waitFor('first watcher', () => watcherPid(config), 15_000);
    seenPids.add(first);
    await waitForBeat(config, first);
    expect(await waitForKeepAlive(env.client, config, 'first start', (s) => s.state === 'running')).toMatchObject({
      restartsInWindow: 0,
      totalRestarts: 0,
    });
    expect((await auditRow('watcher_started')).details).toMatchObject({ reason: 'down', pid: first, counted: false });

    process.kill(first, 'SIGKILL');
    const second = await replacementOf(first);
    const state = await waitForKeepAlive(
      env.client,
      config,
      'running after one restart',
      (s) => s.state === 'running' && s.totalRestarts === 1,
    );
    expect(state).toMatchObject({ restartsInWindow: 1, failedReason: null });
    expect((await auditRow('watcher_restarted')).details).toMatchObject({ reason: 'down', pid: second, counted: true });
    expect((await ndjsonAudit(config)).some((row) => row.action === 'watcher_failed')).toBe(false);
    expect(await keepAliveOf(env.client, config)).toMatchObject({ state: 'running' });
  }, 60_000);

  it('does not count the start of a watcher that went down with the host (its pid file is older than the boot)', async () => {
    await configure('well-behaved');
    await mkdir(config.paths.state, { recursive: true });
    // What a reboot leaves on the NAS: the record of a watcher started before the host came up.
    await writeFile(
      pidFilePath(config),
      JSON.stringify({
        pid: 999_999,
        command: config.watcher.command,
        args: config.watcher.args,
        cmdline: 'old',
        started_at: '2000-01-01T00:00:00.000Z',
      }),
    );
    await startWorker(config);
    await startKeepAlive(env.client, config);
    const pid = await waitFor('watcher', () => watcherPid(config), 15_000);
    seenPids.add(pid);
    expect(await waitForKeepAlive(env.client, config, 'running', (s) => s.state === 'running')).toMatchObject({
      restartsInWindow: 0,
      totalRestarts: 0,
    });
    expect((await auditRow('watcher_started')).details).toMatchObject({ reason: 'down', pid, counted: false });
  }, 60_000);

  it('never touches a process the pid file names but that is not ours, whatever the recorded command', async () => {
    await configure('well-behaved');
    const stranger = execa('sleep', ['120'], { reject: false });
    if (stranger.pid === undefined) throw new Error('sleep did not start');
    seenPids.add(stranger.pid);
    await mkdir(config.paths.state, { recursive: true });
    // An outdated record (another program) whose pid now belongs to someone else.
    await writeFile(
      pidFilePath(config),
      JSON.stringify({
        pid: stranger.pid,
        command: process.execPath,
        args: ['old-watcher.mjs'],
        cmdline: 'node old-watcher.mjs',
        started_at: new Date().toISOString(),
      }),
    );
    await startWorker(config);
    await startKeepAlive(env.client, config);
    const pid = await waitFor(
      'configured watcher',
      async () => {
        const current = await watcherPid(config);
        return current !== undefined && current !== stranger.pid ? current : undefined;
      },
      15_000,
    );
    seenPids.add(pid);
    await waitForKeepAlive(env.client, config, 'running', (s) => s.state === 'running');
    expect(await isProcessAlive(stranger.pid)).toBe(true);
    expect((await ndjsonAudit(config)).map((row) => row.action)).not.toContain('watcher_command_changed');
  }, 60_000);
});

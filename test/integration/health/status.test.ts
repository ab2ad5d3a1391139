import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { collectStatus, formatStatus } from '../../../src/operator/status.js';
import type { StatusReport } from '../../../src/operator/status.js';
import type { Config } from '../../../src/config/schema.js';
import { ensureHealthSchedule } from '../../../src/supervision/health-schedule.js';
import { waitFor } from '../../helpers/process.js';
import { activitiesFor } from '../../helpers/activities.js';
import { NO_REPLAY, useSupervisorEnv } from '../../helpers/use-supervisor-env.js';
import { seenPids, waitForBeat, watcherPid } from '../handlers/support.js';
import { HANG_TEST_TIMEOUT, startKeepAlive, useHealthCases, waitForKeepAlive } from './support.js';

const STATUS = fileURLToPath(new URL('./status-main.ts', import.meta.url));

describe('supervisor status', () => {
  const env = useSupervisorEnv(NO_REPLAY);
  const { configure, startWorker } = useHealthCases(env);
  let config: Config;

  it('reports state, pid, uptime, heartbeat age, restarts, last and next health run', async () => {
    config = await configure('ts-status-');
    await startWorker(config);
    await startKeepAlive(env.client, config);
    const pid = await waitFor('watcher', () => watcherPid(config), 15_000);
    await waitForBeat(config, pid);
    await waitForKeepAlive(env.client, config, 'running', (state) => state.state === 'running');
    await ensureHealthSchedule(env.client, config, { intervalMs: 1_000 });
    await waitFor(
      'a health run',
      async () => (await collectStatus(config, env.client)).last_health_run !== null,
      15_000,
    );

    const report = await collectStatus(config, env.client);
    expect(report).toMatchObject({
      worker_id: config.worker_id,
      watcher_state: 'running',
      pid,
      restarts_in_window: 0,
      heartbeat_healthy: true,
      temporal: { reachable: true },
    });
    expect(report.uptime_seconds).toEqual(expect.any(Number));
    expect(report.heartbeat_age_seconds).toBeLessThan(5);
    expect(Date.parse(report.next_health_run ?? '')).toBeGreaterThan(Date.now() - 1_000);
    const text = formatStatus(report);
    expect(text).toContain(`pid               ${pid}`);
    // The keep-alive's first start of a watcher it found down is not a restart.
    expect(text).toContain('restarts (window) 0\n');

    // The command itself, from a config file, as JSON.
    const configFile = path.join(config.paths.nas_root, 'config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        worker_id: config.worker_id,
        paths: { nas_root: config.paths.nas_root },
        watcher: { command: config.watcher.command, args: config.watcher.args },
      }),
    );
    const run = await execa(
      process.execPath,
      [
        '--import',
        'tsx',
        STATUS,
        '--config',
        configFile,
        '--log-level',
        'error',
        'status',
        '--json',
        '--address',
        env.server.address,
      ],
      { reject: false },
    );
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout) as StatusReport).toMatchObject({
      watcher_state: 'running',
      pid,
      restarts_in_window: 0,
    });
  }, 60_000);

  it('calls a silent watcher hung after watcher.hang_timeout in status, diagnostics and the health check', async () => {
    config = await configure('ts-status-hung-', { hangTimeout: HANG_TEST_TIMEOUT });
    const acts = activitiesFor(config);
    const { pid } = await acts.startWatcher();
    seenPids.add(pid);
    await waitForBeat(config, pid);
    expect(await collectStatus(config, undefined)).toMatchObject({
      watcher_state: 'running',
      heartbeat_healthy: true,
    });
    process.kill(pid, 'SIGSTOP');
    // No keep-alive here: only the readers' own judgement, long before the old fixed 5 minutes.
    const report = await waitFor('status says hung', async () => {
      const found = await collectStatus(config, undefined);
      return found.watcher_state === 'hung' ? found : undefined;
    });
    expect(report).toMatchObject({ pid, heartbeat_healthy: false });
    expect(formatStatus(report)).toContain('watcher           hung');
    const health = await acts.checkHealth();
    expect(health).toMatchObject({ watcher_state: 'hung', heartbeat: { exists: true, fresh: false, healthy: false } });
    const diagnostics = JSON.parse(
      await readFile((await acts.runDiagnostics({ taskId: 'diag_hung' })).reportPath, 'utf8'),
    ) as { heartbeat: { fresh: boolean; healthy: boolean } };
    expect(diagnostics.heartbeat).toMatchObject({ fresh: false, healthy: false });
  });

  it('still reports the local facts when Temporal is unreachable', async () => {
    config = await configure('ts-status-');
    const report = await collectStatus(config, undefined, 'connect ECONNREFUSED');
    expect(report).toMatchObject({
      watcher_state: 'stopped',
      pid: null,
      keepalive: null,
      next_health_run: null,
      temporal: { reachable: false },
    });
    expect(formatStatus(report)).toContain('temporal          unreachable (connect ECONNREFUSED)');
  });
});

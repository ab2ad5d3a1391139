import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { labelSuffix } from '../../../src/nas/report-name.js';
import { reportFileName, taskSuffix } from '../../../src/nas/report-name.js';
import { killAll, waitFor } from '../../helpers/process.js';
import { readHeartbeat } from '../../helpers/fake-watcher.js';
import { useTempDir } from '../../helpers/tmp.js';
import { activitiesFor } from '../../helpers/activities.js';
import { testConfig } from '../../helpers/config.js';

const SAMPLE_WATCHER = fileURLToPath(new URL('../../../examples/sample-watcher.mjs', import.meta.url));

const started: number[] = [];
afterEach(() => {
  killAll(started.splice(0).flatMap((pid) => [pid, -pid]));
});

interface Report {
  worker_id: string;
  label: string | null;
  watcher: { running: boolean; pid: number };
  heartbeat: { exists: boolean; fresh: boolean; healthy: boolean; paused: boolean; age_seconds: number };
  database: { configured: boolean };
  paths: Array<{ name: string; exists: boolean; readable: boolean; writable: boolean }>;
  disk: { total_bytes: number; used_bytes: number; free_bytes: number; percent_free: number };
  watcher_log: { lines: string[] };
  pending_flags: string[];
  audit: Array<{ task_id: string }>;
}

describe('diagnostics activity', () => {
  const dir = useTempDir('ts-diag-');

  it('collects watcher, heartbeat, paths, disk, log, pending flags and audit into one report', async () => {
    const config = testConfig(dir(), {
      watcher: { command: process.execPath, args: [SAMPLE_WATCHER], cwd: dir(), env: { WATCHER_INTERVAL_MS: '20' } },
    });
    const acts = activitiesFor(config);
    const { pid } = await acts.startWatcher();
    started.push(pid);
    await waitFor(
      '60 log lines',
      async () => (await readFile(config.watcher.log_file, 'utf8')).split('\n').length > 60,
    );
    await acts.createPauseFlag({ who: 'ops', label: 'maint' });
    await writeFile(join(config.paths.inbox, 'supervisor_restart_watcher_W1.flag'), '{}');
    await writeFile(join(config.paths.inbox, '.supervisor_update_code_W1.flag'), '{}');
    await acts.recordAudit({
      task_id: 'older',
      handler: 'pause_watcher',
      label: 'maint',
      action: 'completed',
      success: true,
      details: {},
      actor: 'ops',
    });

    const { reportPath, summary } = await acts.runDiagnostics({ taskId: 'diag_1', label: 'AA v1-2' });
    expect(reportPath).toMatch(
      new RegExp(`^${config.paths.diagnostics}/diagnostics_W1_\\d{8}T\\d{6}Z_diag_1_AA_v1-2\\.json$`),
    );
    expect(summary).toEqual({ watcher_running: true, heartbeat_healthy: true, database_ok: false, pending_flags: 1 });
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(report).toMatchObject({
      worker_id: 'W1',
      label: 'AA v1-2',
      watcher: { running: true, pid },
      database: { configured: false },
    });
    expect(report.heartbeat).toMatchObject({ exists: true, fresh: true, healthy: true, paused: true });
    expect(report.paths.map((entry) => entry.name)).toEqual([
      'nas_root',
      'inbox',
      'outbox',
      'state',
      'logs',
      'diagnostics',
    ]);
    expect(report.paths.every((entry) => entry.exists && entry.readable && entry.writable)).toBe(true);
    expect(report.disk.total_bytes).toBeGreaterThan(0);
    expect(report.disk.free_bytes + report.disk.used_bytes).toBeLessThanOrEqual(report.disk.total_bytes);
    expect(report.disk.percent_free).toBeGreaterThanOrEqual(0);
    expect(report.watcher_log.lines).toHaveLength(50);
    expect(report.watcher_log.lines.every((line) => line.includes('sample-watcher'))).toBe(true);
    expect(report.pending_flags).toEqual(['supervisor_restart_watcher_W1.flag']);
    expect(report.audit.map((row) => row.task_id)).toEqual(['older']);
    expect((await readdir(config.paths.diagnostics)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('marks an old heartbeat stale and a missing watcher as not running, and still writes the report', async () => {
    const config = testConfig(dir());
    await writeFile(
      config.watcher.heartbeat_file,
      JSON.stringify({ unix_ts: Date.now() / 1000, status: 'healthy', pid: 1 }),
    );
    const later = new Date(Date.now() + 6 * 60_000);
    const { reportPath } = await activitiesFor(config, { now: () => later }).runDiagnostics();
    expect(reportPath).toMatch(/diagnostics_W1_\d{8}T\d{6}Z\.json$/);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(report.watcher.running).toBe(false);
    expect(report.heartbeat).toMatchObject({ exists: true, fresh: false, healthy: false, paused: false });
    expect(report.heartbeat.age_seconds).toBeGreaterThanOrEqual(359);
    expect(report.watcher_log).toHaveProperty('lines', []);
    expect(await readHeartbeat(config.watcher.heartbeat_file)).toBeDefined();
  });

  it('turns a label into a file-name suffix', () => {
    expect(labelSuffix('AA v1-2')).toBe('_AA_v1-2');
    expect(labelSuffix(null)).toBe('');
    expect(labelSuffix('../x')).toBe('_x');
  });

  it('turns a task id into a file-name part that cannot leave the folder or hide the file', () => {
    expect(taskSuffix('task_20260205.001')).toBe('_task_20260205.001');
    expect(taskSuffix('../../etc')).toBe('_etc');
    expect(taskSuffix(null)).toBe('');
    expect(
      reportFileName('db_verification', 'W1', new Date('2026-02-05T14:30:15.250Z'), { taskId: 't1', label: 'a b' }),
    ).toBe('db_verification_W1_20260205T143015Z_t1_a_b.json');
  });
});

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pauseFlagPath } from '../../../src/nas/paths.js';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Config } from '../../../src/config/schema.js';
import { lastAuditRows, mysqlAuditSink } from '../../../src/audit/index.js';
import type { FakeWatcherVariant } from '../../helpers/fake-watcher.js';
import { readDescendantPids } from '../../helpers/fake-watcher.js';
import { isProcessAlive, waitFor } from '../../helpers/process.js';
import type { RunningWorker } from '../../helpers/supervisor-env.js';
import { readResultFile } from '../../helpers/supervisor-env.js';
import { useSupervisorEnvWithDb } from '../../helpers/use-supervisor-env.js';
import { activitiesFor } from '../../helpers/activities.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { killSeen, seenPids, waitForBeat, watcherPid } from './support.js';

describe('watcher handlers with the audit in MariaDB', () => {
  const { env, db } = useSupervisorEnvWithDb('supervisor_handlers');
  let temp: TempDir;
  let config: Config;
  let worker: RunningWorker;
  let n = 0;
  afterEach(async () => {
    await worker?.stop();
    killSeen();
    await temp?.cleanup();
  });

  /** Worker with the MariaDB audit; the watcher (of `variant`) already running. Returns its pid. */
  async function setUp(variant: FakeWatcherVariant = 'well-behaved'): Promise<number> {
    temp = await makeTempDir('ts-handlers-watcher-');
    config = env.config(temp.path, { variant, database: { ...db.config, critical_tables: ['audit_log_t'] } });
    worker = await env.startWorker(config, { pool: db.pool });
    const acts = activitiesFor(config, { audit: mysqlAuditSink(db.pool) });
    const { pid } = await acts.startWatcher();
    seenPids.add(pid);
    await waitForBeat(config, pid);
    return pid;
  }

  const task = (prefix: string) => `${prefix}_${++n}`;

  async function auditRow(taskId: string) {
    const rows = (await lastAuditRows(db.pool, 50, config.worker_id)).filter((row) => row.task_id === taskId);
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  /** The watcher's whole tree: itself and, for forks-grandchildren, its child and grandchild. */
  async function treeOf(pid: number, variant: FakeWatcherVariant): Promise<number[]> {
    if (variant !== 'forks-grandchildren') return [pid];
    const pids = await waitFor('descendant pids', () =>
      readDescendantPids(`${config.watcher.heartbeat_file}.pids.json`),
    );
    expect(pids.parent).toBe(pid);
    return [pids.parent, pids.child, pids.grandchild];
  }

  const anyAlive = async (pids: number[]) => (await Promise.all(pids.map((pid) => isProcessAlive(pid)))).some(Boolean);

  it.each<FakeWatcherVariant>(['well-behaved', 'ignore-sigterm', 'forks-grandchildren'])(
    'pause_watcher (%s): pause flag written, the whole tree gone, audit row with label',
    async (variant) => {
      const pid = await setUp(variant);
      const tree = await treeOf(pid, variant);
      const taskId = task('pause');
      const result = await env.run(config, {
        task_id: taskId,
        handler: 'pause_watcher',
        label: 'night maint',
        requested_by: 'alice',
      });
      expect(result).toMatchObject({
        success: true,
        details: {
          pause_flag_created: true,
          was_running: true,
          stopped_by: variant === 'ignore-sigterm' ? 'sigkill' : 'sigterm',
        },
      });
      expect(await anyAlive(tree)).toBe(false);
      expect(await watcherPid(config)).toBeUndefined();
      const flag = JSON.parse(await readFile(pauseFlagPath(config), 'utf8')) as Record<string, unknown>;
      expect(flag).toMatchObject({
        worker_id: config.worker_id,
        paused_by: 'alice',
        label: 'night maint',
        task_id: taskId,
      });
      expect(await auditRow(taskId)).toMatchObject({
        handler: 'pause_watcher',
        label: 'night maint',
        action: 'completed',
        success: true,
        actor: 'alice',
      });
      expect(await readResultFile(config, taskId)).toMatchObject({
        task_id: taskId,
        success: true,
        label: 'night maint',
      });
    },
  );

  it('resume_watcher removes the pause flag and confirms a running watcher', async () => {
    await setUp();
    await env.run(config, { task_id: task('pause'), handler: 'pause_watcher', requested_by: 'alice' });
    expect(existsSync(pauseFlagPath(config))).toBe(true);
    const taskId = task('resume');
    const result = await env.run(config, {
      task_id: taskId,
      handler: 'resume_watcher',
      label: 'back',
      requested_by: 'bob',
    });
    expect(result).toMatchObject({ success: true, details: { pause_flag_removed: true, running: true } });
    expect(existsSync(pauseFlagPath(config))).toBe(false);
    const pid = await watcherPid(config);
    expect(pid).toBe(result.details.pid);
    expect(await auditRow(taskId)).toMatchObject({
      handler: 'resume_watcher',
      label: 'back',
      success: true,
      actor: 'bob',
    });
  });

  it.each<FakeWatcherVariant>(['ignore-sigterm', 'forks-grandchildren'])(
    'restart_watcher (%s): old tree gone, a new watcher running',
    async (variant) => {
      const oldPid = await setUp(variant);
      const tree = await treeOf(oldPid, variant);
      const taskId = task('restart');
      const result = await env.run(config, {
        task_id: taskId,
        handler: 'restart_watcher',
        label: 'kick',
        requested_by: 'ops',
      });
      expect(result.success).toBe(true);
      expect(await anyAlive(tree)).toBe(false);
      const newPid = await watcherPid(config);
      expect(newPid).toBeDefined();
      expect(newPid).not.toBe(oldPid);
      expect(result.details).toMatchObject({ was_running: true, pid: newPid });
      expect(await auditRow(taskId)).toMatchObject({ handler: 'restart_watcher', label: 'kick', success: true });
    },
  );

  it('restart_watcher starts a paused watcher too, and leaves the pause flag', async () => {
    await setUp();
    await env.run(config, { task_id: task('pause'), handler: 'pause_watcher', requested_by: 'ops' });
    const result = await env.run(config, { task_id: task('restart'), handler: 'restart_watcher', requested_by: 'ops' });
    expect(result).toMatchObject({ success: true, details: { was_running: false } });
    expect(await watcherPid(config)).toBeDefined();
    expect(existsSync(pauseFlagPath(config))).toBe(true);
  });

  it('diagnostics writes one report with the standard sections, labelled, without touching the watcher', async () => {
    const pid = await setUp();
    const taskId = task('diag');
    const result = await env.run(config, {
      task_id: taskId,
      handler: 'diagnostics',
      label: 'before upgrade',
      requested_by: 'ops',
    });
    expect(result).toMatchObject({ success: true, details: { watcher_running: true, database_ok: true } });
    const reportPath = String(result.details.report_path);
    expect(path.basename(reportPath)).toMatch(
      new RegExp(`^diagnostics_${config.worker_id}_\\d{8}T\\d{6}Z_${taskId}_before_upgrade\\.json$`),
    );
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({
      worker_id: config.worker_id,
      task_id: taskId,
      label: 'before upgrade',
      watcher: { running: true, pid },
      database: { configured: true },
    });
    for (const key of ['heartbeat', 'paths', 'disk', 'watcher_log', 'pending_flags', 'audit'])
      expect(report).toHaveProperty(key);
    expect(await watcherPid(config)).toBe(pid);
    expect(await auditRow(taskId)).toMatchObject({ handler: 'diagnostics', label: 'before upgrade', success: true });
  });
});

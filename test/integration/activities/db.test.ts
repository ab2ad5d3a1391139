import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { VerifyDbResult } from '../../../src/activities/index.js';
import type { Config } from '../../../src/config/schema.js';
import { createDbPool, migrate, query, upsertWorker } from '../../../src/db/index.js';
import { lastAuditRows, mysqlAuditSink } from '../../../src/audit/index.js';
import type { MariaDbHarness } from '../../helpers/mariadb.js';
import { startMariaDb } from '../../helpers/mariadb.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { activitiesFor } from '../../helpers/activities.js';
import { testConfig } from '../../helpers/config.js';

describe('database layer and db activities against MariaDB', () => {
  let db: MariaDbHarness;
  let temp: TempDir;
  let config: Config;
  let pool: Pool;

  beforeAll(async () => {
    db = await startMariaDb({ database: 'supervisor_acts' });
    temp = await makeTempDir('ts-db-');
    const { host, port, user, password, database } = db.config;
    config = testConfig(temp.path, {
      database: { host, port, user, password, database, critical_tables: ['audit_log_t', 'workers_t'] },
    });
    pool = createDbPool(config.database!);
  });

  afterAll(async () => {
    await pool?.end().catch(() => undefined);
    await db?.stop();
    await temp?.cleanup();
  });

  const columns = async (table: string) =>
    (
      await query<RowDataPacket[]>(
        pool,
        'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
        [table],
      )
    ).map((row) => String(row.c));

  it('runs every pooled session in UTC although the server zone is not', async () => {
    const rows = await query<RowDataPacket[]>(
      pool,
      'SELECT @@session.time_zone AS tz, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW()) AS off',
    );
    expect(rows[0]).toMatchObject({ tz: '+00:00', off: 0 });
  });

  it('creates its tables when absent and never alters an existing one', async () => {
    await query(pool, 'CREATE TABLE workers_t (worker_id VARCHAR(64) PRIMARY KEY, legacy_col INT)');
    expect(await migrate(pool)).toEqual({ created: ['audit_log_t'], added: [] });
    expect(await columns('workers_t')).toEqual(['worker_id', 'legacy_col']);
    expect(await columns('audit_log_t')).toEqual([
      'id',
      'at',
      'worker_id',
      'task_id',
      'handler',
      'label',
      'action',
      'success',
      'details',
      'actor',
      'row_key',
    ]);
    await query(pool, 'DROP TABLE workers_t');
    expect(await migrate(pool)).toEqual({ created: ['workers_t'], added: [] });
    expect(await migrate(pool)).toEqual({ created: [], added: [] });
    expect(await columns('workers_t')).toEqual([
      'worker_id',
      'last_heartbeat_at',
      'status_summary',
      'hostname',
      'updated_at',
    ]);
  });

  it('records audit rows with the label through the activity and reads them back newest first', async () => {
    const at = new Date('2026-02-05T14:30:15.234Z');
    const acts = activitiesFor(config, { pool, audit: mysqlAuditSink(pool), now: () => at });
    await acts.recordAudit({
      task_id: 'task_1',
      handler: 'rollback_code',
      label: 'AA v1-2',
      action: 'completed',
      success: true,
      details: { commits_reverted: 2, hmac_key: 'k' },
      actor: 'alice',
    });
    await acts.recordAudit({
      task_id: 'task_2',
      handler: 'verify_db',
      label: null,
      action: 'completed',
      success: false,
      details: {},
      actor: null,
    });
    const rows = await lastAuditRows(pool, 10, 'W1');
    expect(rows.map((row) => row.task_id)).toEqual(['task_2', 'task_1']);
    expect(rows[1]).toMatchObject({
      at: at.toISOString(),
      worker_id: 'W1',
      handler: 'rollback_code',
      label: 'AA v1-2',
      action: 'completed',
      success: true,
      details: { commits_reverted: 2, hmac_key: '[redacted]' },
      actor: 'alice',
    });
    // Stored as UTC: the server (zone +03:00) sees the same wall-clock time we sent.
    const raw = await query<RowDataPacket[]>(
      pool,
      "SELECT DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f') AS at FROM audit_log_t WHERE task_id = 'task_1'",
    );
    expect(raw[0]?.at).toBe('2026-02-05 14:30:15.234000');
  });

  it('upserts one workers_t row per worker', async () => {
    await upsertWorker(pool, {
      worker_id: 'W1',
      last_heartbeat_at: new Date('2026-02-05T10:00:00Z'),
      status_summary: 'starting',
    });
    await upsertWorker(pool, {
      worker_id: 'W1',
      last_heartbeat_at: new Date('2026-02-05T10:01:00Z'),
      status_summary: 'watcher running',
      hostname: 'h1',
    });
    const rows = await query<RowDataPacket[]>(pool, "SELECT * FROM workers_t WHERE worker_id = 'W1'");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status_summary: 'watcher running',
      hostname: 'h1',
      last_heartbeat_at: new Date('2026-02-05T10:01:00Z'),
    });
  });

  it('verify_db passes and writes the report, password nowhere in it', async () => {
    const at = new Date('2026-02-05T14:30:15Z');
    const result: VerifyDbResult = await activitiesFor(config, { now: () => at }).verifyDb({ taskId: 'task_v1' });
    expect(result.success).toBe(true);
    expect(result.reportPath).toBe(`${config.paths.diagnostics}/db_verification_W1_20260205T143015Z_task_v1.json`);
    const text = await readFile(result.reportPath, 'utf8');
    expect(text).not.toContain(db.config.password);
    const report = JSON.parse(text) as VerifyDbResult['report'];
    expect(report).toMatchObject({
      success: true,
      error: null,
      task_id: 'task_v1',
      database: { host: '127.0.0.1', port: db.config.port, user: 'supervisor', database: 'supervisor_acts' },
    });
    expect(report.checks.connection.ok).toBe(true);
    expect(report.checks.now).toMatchObject({ ok: true, database: 'supervisor_acts' });
    expect(Math.abs(Date.parse(report.checks.now.server_now ?? '') - Date.now())).toBeLessThan(120_000);
    expect(report.checks.tables).toEqual([
      { table: 'audit_log_t', ok: true, count: 2 },
      { table: 'workers_t', ok: true, count: 1 },
    ]);
    expect(report.checks.time_zone).toMatchObject({ ok: true, session_time_zone: '+00:00', offset_seconds: 0 });
  });

  it('verify_db reports a missing critical table without stopping the other checks (url form)', async () => {
    const { host, port, user, password, database } = db.config;
    const url = `mysql://${user}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
    const withUrl = testConfig(temp.path, { database: { url, critical_tables: ['jobs_t', 'workers_t'] } });
    const result = await activitiesFor(withUrl).verifyDb();
    expect(result.success).toBe(false);
    expect(result.error).toBe('critical tables not readable: jobs_t');
    expect(result.report.checks.tables).toEqual([
      { table: 'jobs_t', ok: false, missing: true, error: 'table does not exist' },
      { table: 'workers_t', ok: true, count: 1 },
    ]);
    expect(result.report.checks.time_zone.ok).toBe(true);
  });

  it('diagnostics reads SELECT NOW() and the last audit rows from the database', async () => {
    const acts = activitiesFor(config, { pool, audit: mysqlAuditSink(pool) });
    const { reportPath, summary } = await acts.runDiagnostics({ label: 'db check' });
    expect(reportPath).toMatch(/diagnostics_W1_\d{8}T\d{6}Z_db_check\.json$/);
    expect(summary.database_ok).toBe(true);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as {
      database: { now: string };
      audit: Array<{ task_id: string }>;
    };
    expect(Math.abs(Date.parse(report.database.now) - Date.now())).toBeLessThan(120_000);
    expect(report.audit.map((row) => row.task_id)).toEqual(['task_2', 'task_1']);
  });

  // Last: it stops the server.
  it('against a stopped server: verify_db fails fast with its report, audit errors stay retryable', async () => {
    await db.stop();
    const result = await activitiesFor(config).verifyDb();
    expect(result.success).toBe(false);
    expect(result.error).toMatch(/^connection failed: .*ECONNREFUSED/);
    expect(result.report.checks.tables.every((table) => table.skipped === true)).toBe(true);
    expect(JSON.parse(await readFile(result.reportPath, 'utf8'))).toMatchObject({
      success: false,
      checks: { connection: { ok: false } },
    });
    const audit = activitiesFor(config, { pool, audit: mysqlAuditSink(pool) }).recordAudit({
      task_id: 't',
      handler: 'h',
      label: null,
      action: 'a',
      success: true,
      details: {},
      actor: null,
    });
    const error = await audit.catch((caught: unknown) => caught);
    // mysql2's errors come from another realm under jest: check the shape, not the class.
    expect((error as Error).message).toMatch(/ECONNREFUSED|closed|connect/i);
    expect(error).not.toBeInstanceOf(ApplicationFailure);
  }, 20_000);

  it('without a database section verify_db reports that, in a report too', async () => {
    const result = await activitiesFor(testConfig(temp.path)).verifyDb();
    expect(result).toMatchObject({ success: false, error: 'no database configured' });
    expect(JSON.parse(await readFile(result.reportPath, 'utf8'))).toMatchObject({
      database: null,
      error: 'no database configured',
    });
  });
});

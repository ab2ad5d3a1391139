import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Config } from '../../../src/config/schema.js';
import { taskQueueOf } from '../../../src/config/schema.js';
import type { HandlerResult } from '../../../src/contract/handlers.js';
import { lastAuditRows } from '../../../src/audit/index.js';
import type { RunningWorker } from '../../helpers/supervisor-env.js';
import { readResultFile } from '../../helpers/supervisor-env.js';
import { startMariaDb } from '../../helpers/mariadb.js';
import { useSupervisorEnvWithDb } from '../../helpers/use-supervisor-env.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { ndjsonAudit } from './support.js';

describe('verify_db against the MariaDB harness', () => {
  const { env, db } = useSupervisorEnvWithDb('supervisor_verify');
  let temp: TempDir;
  let config: Config;
  let worker: RunningWorker;
  afterEach(async () => {
    await worker?.stop();
    await temp?.cleanup();
  });

  it('passes on a healthy database: report with every check, audit row in audit_log_t', async () => {
    temp = await makeTempDir('ts-handlers-db-');
    config = env.config(temp.path, { database: { ...db.config, critical_tables: ['audit_log_t', 'workers_t'] } });
    worker = await env.startWorker(config, { pool: db.pool });
    const result = await env.run(config, {
      task_id: 'verify_ok',
      handler: 'verify_db',
      label: 'nightly',
      requested_by: 'ops',
    });
    expect(result).toMatchObject({
      success: true,
      details: { connection_ok: true, database: 'supervisor_verify', session_utc: true },
    });
    expect(result.details.tables).toEqual([
      { table: 'audit_log_t', ok: true, count: expect.any(Number) },
      { table: 'workers_t', ok: true, count: 0 },
    ]);
    const report = JSON.parse(await readFile(String(result.details.report_path), 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({
      worker_id: config.worker_id,
      task_id: 'verify_ok',
      success: true,
      checks: { connection: { ok: true }, time_zone: { ok: true, offset_seconds: 0 } },
    });
    const rows = (await lastAuditRows(db.pool, 10, config.worker_id)).filter((row) => row.task_id === 'verify_ok');
    expect(rows).toEqual([
      expect.objectContaining({ handler: 'verify_db', label: 'nightly', success: true, actor: 'ops' }),
    ]);
    expect((await readResultFile(config, 'verify_ok')).success).toBe(true);
  });

  it('a raw Temporal start without a handler key is audited in audit_log_t under the workflow type; a refused one leaves no row', async () => {
    temp = await makeTempDir('ts-handlers-db-');
    config = env.config(temp.path, { database: { ...db.config, critical_tables: ['audit_log_t'] } });
    worker = await env.startWorker(config, { pool: db.pool });
    const start = (taskId: string, input: unknown) =>
      env.client.workflow.start('verify_db', {
        workflowId: `${config.worker_id}/${taskId}`,
        taskQueue: taskQueueOf(config),
        args: [input],
      });
    const result = (await (
      await start('raw_verify', { task_id: 'raw_verify', requested_by: 'ops' })
    ).result()) as HandlerResult;
    expect(result.success).toBe(true);
    await expect((await start('raw_bad', { task_id: 'raw_bad', label: 'a;b' })).result()).rejects.toMatchObject({
      cause: { type: 'InvalidHandlerInput' },
    });
    const rows = await lastAuditRows(db.pool, 10, config.worker_id);
    expect(rows).toEqual([
      expect.objectContaining({
        task_id: 'raw_verify',
        handler: 'verify_db',
        label: null,
        success: true,
        actor: 'ops',
      }),
    ]);
  });

  it('against a stopped server: connection check fails, report written, no hang, audit kept in the pending file', async () => {
    const stopped = await startMariaDb({ database: 'supervisor_gone' });
    const target = stopped.config;
    await stopped.stop();
    temp = await makeTempDir('ts-handlers-db-');
    config = env.config(temp.path, { database: { ...target, critical_tables: ['jobs_t'] } });
    // No pool given: the worker makes its own against the dead server, as in production.
    worker = await env.startWorker(config);
    // "No hang" is bounded by the test timeout: a stalled connect or a retried audit insert would exceed it.
    const result = await env.run(config, {
      task_id: 'verify_down',
      handler: 'verify_db',
      label: 'db down',
      requested_by: 'ops',
    });
    expect(result.success).toBe(false);
    expect(result.error).toMatch(/^connection failed/);
    expect(result.details).toMatchObject({
      connection_ok: false,
      tables: [{ table: 'jobs_t', ok: false, count: null }],
    });
    const report = JSON.parse(await readFile(String(result.details.report_path), 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({ success: false, checks: { connection: { ok: false }, now: { skipped: true } } });
    expect(await readResultFile(config, 'verify_down')).toMatchObject({ success: false, label: 'db down' });
    expect((await ndjsonAudit(config, true)).filter((row) => row.task_id === 'verify_down')).toEqual([
      expect.objectContaining({ handler: 'verify_db', label: 'db down', success: false, action: 'failed' }),
    ]);
  });
});

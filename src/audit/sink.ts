import type { Pool } from 'mysql2/promise';
import type { Config } from '../config/schema.js';
import { migrate } from '../db/migrations.js';
import { auditFileOf, eventsFileOf, pendingAuditFileOf } from '../nas/paths.js';
import { appendEvent } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import { auditEvent } from './events.js';
import { mysqlAuditSink } from './mysql.js';
import { ndjsonAuditSink } from './ndjson.js';
import { drainPendingAudit, movePending } from './pending.js';
import type { AuditRecord, AuditSink } from './record.js';

/** One at a time, in call order: appends to the pending file and its rename never overlap. */
function serial(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = tail.then(work);
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * SPEC: audit rows go to MySQL when a database is configured (its pool given), otherwise to
 * `<logs>/audit.ndjson`. A row the database refuses (or does not answer for within the query deadline) goes
 * to this worker's `<logs>/audit.pending.<worker_id>.ndjson`, and so do the rows after it until a drain (worker start, health runs)
 * has moved them into MySQL: an audit row is never lost, lands in MySQL once (by its key) and a database
 * outage never fails (or stalls) a handler beyond one query deadline. Every row also goes out on the event stream.
 */
export function createAuditSink(
  config: Pick<Config, 'paths' | 'worker_id'>,
  pool: Pool | undefined,
  logger: Pick<Logger, 'warn' | 'info'>,
): AuditSink {
  const events = eventsFileOf(config.paths);
  if (pool === undefined) {
    const file = ndjsonAuditSink(auditFileOf(config.paths.logs));
    return {
      kind: 'ndjson',
      async record(row) {
        await file.record(row);
        await appendEvent(events, auditEvent(row));
      },
      last: file.last,
    };
  }
  const pendingFile = pendingAuditFileOf(config.paths.logs, config.worker_id);
  const pending = ndjsonAuditSink(pendingFile);
  const mysql = mysqlAuditSink(pool);
  const exclusive = serial();
  // Set by a refused row, cleared by a drain that got through: while down, rows skip the wait for MySQL.
  let down = false;
  let draining: Promise<{ drained: number }> | undefined;
  // The tables before the first drain: the worker's migration at start may have met the outage (the key column
  // missing). Once is enough: a DDL statement every health run would queue behind any long ALTER on the server.
  let migrated = false;
  const keep = (row: AuditRecord) => exclusive(() => pending.record(row));
  const store = async (row: AuditRecord): Promise<void> => {
    if (down) return keep(row);
    try {
      await mysql.record(row);
    } catch (error) {
      down = true;
      logger.warn(
        { error: String(error), task_id: row.task_id },
        'audit row kept in the pending file: the database refused it',
      );
      await keep(row);
    }
  };
  const drainOnce = async (): Promise<{ drained: number }> => {
    const move = (file: string, to: string) => exclusive(() => movePending(file, to));
    try {
      if (!migrated) await migrate(pool);
      migrated = true;
      const result = await drainPendingAudit(pool, pendingFile, move);
      down = false;
      if (result.drained > 0) logger.info({ drained: result.drained }, 'pending audit rows moved into the database');
      return result;
    } catch (error) {
      logger.warn({ error: String(error) }, 'pending audit rows not drained; the next health run retries');
      return { drained: 0 };
    }
  };
  return {
    kind: 'mysql',
    async record(row) {
      await store(row);
      await appendEvent(events, auditEvent(row));
    },
    last: (count, workerId) =>
      down ? pending.last(count, workerId) : mysql.last(count, workerId).catch(() => pending.last(count, workerId)),
    drain() {
      draining ??= drainOnce().finally(() => {
        draining = undefined;
      });
      return draining;
    },
  };
}

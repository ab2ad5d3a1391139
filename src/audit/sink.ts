import type { Pool } from 'mysql2/promise';
import type { Config } from '../config/schema.js';
import { auditFileOf, eventsFileOf } from '../nas/paths.js';
import { appendEvent } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import { auditEvent } from './events.js';
import { mysqlAuditSink } from './mysql.js';
import { ndjsonAuditSink } from './ndjson.js';
import type { AuditRecord, AuditSink } from './record.js';

/**
 * SPEC: audit rows go to MySQL when a database is configured (its pool given), otherwise to
 * `<logs>/audit.ndjson`, which also takes the rows the database refuses: an audit row is never lost and a
 * database outage never fails (or stalls) a handler. Every row also goes out on the event stream.
 */
export function createAuditSink(
  config: Pick<Config, 'paths'>,
  pool: Pool | undefined,
  logger: Pick<Logger, 'warn'>,
): AuditSink {
  const file = ndjsonAuditSink(auditFileOf(config.paths.logs));
  const events = eventsFileOf(config.paths);
  const mysql = pool === undefined ? undefined : mysqlAuditSink(pool);
  const store = async (row: AuditRecord): Promise<void> => {
    if (mysql === undefined) return file.record(row);
    try {
      await mysql.record(row);
    } catch (error) {
      logger.warn(
        { error: String(error), task_id: row.task_id },
        'audit row written to the NDJSON file: the database refused it',
      );
      await file.record(row);
    }
  };
  return {
    kind: mysql === undefined ? 'ndjson' : 'mysql',
    async record(row) {
      await store(row);
      await appendEvent(events, auditEvent(row));
    },
    last: (count, workerId) =>
      mysql === undefined
        ? file.last(count, workerId)
        : mysql.last(count, workerId).catch(() => file.last(count, workerId)),
  };
}

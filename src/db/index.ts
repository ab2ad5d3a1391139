import type { Pool } from 'mysql2/promise';
import type { Config } from '../config/schema.js';
import type { AuditSink } from './audit.js';
import { mysqlAuditSink } from './audit.js';
import { auditFileOf, ndjsonAuditSink } from './audit-file.js';

export type { AuditRecord, AuditSink, StoredAuditRecord } from './audit.js';
export { insertAudit, lastAuditRows, mysqlAuditSink, redactSecrets } from './audit.js';
export { auditFileOf, ndjsonAuditSink } from './audit-file.js';
export { migrate, SUPERVISOR_TABLES } from './migrations.js';
export type { MigrationResult } from './migrations.js';
export { connectionOptions, createDbPool, describeTarget, openConnection, query, QUERY_TIMEOUT_MS } from './pool.js';
export type { DatabaseConfig, DatabaseTarget, Queryable } from './pool.js';
export { upsertWorker } from './workers.js';
export type { WorkerStatusRow } from './workers.js';

/** SPEC: audit rows go to MySQL when a database is configured (and its pool given), otherwise to `<logs>/audit.ndjson`. */
export function createAuditSink(config: Pick<Config, 'database' | 'paths'>, pool: Pool | undefined): AuditSink {
  if (config.database !== undefined && pool !== undefined) return mysqlAuditSink(pool);
  return ndjsonAuditSink(auditFileOf(config.paths.logs));
}

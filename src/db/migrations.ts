import type { RowDataPacket } from 'mysql2/promise';
import type { Queryable } from './pool.js';
import { query } from './pool.js';

/**
 * The supervisor's own tables. `CREATE TABLE IF NOT EXISTS` only: a table that already exists (the
 * production workers_t, say) is never altered. DATETIME(3) values are UTC (sessions run in UTC).
 */
const TABLES: ReadonlyArray<{ name: string; ddl: string }> = [
  {
    name: 'audit_log_t',
    ddl: `CREATE TABLE IF NOT EXISTS audit_log_t (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      at DATETIME(3) NOT NULL,
      worker_id VARCHAR(64) NOT NULL,
      task_id VARCHAR(64) NULL,
      handler VARCHAR(64) NOT NULL,
      label VARCHAR(100) NULL,
      action VARCHAR(64) NOT NULL,
      success TINYINT(1) NOT NULL,
      details JSON NULL,
      actor VARCHAR(128) NULL,
      KEY audit_worker_at (worker_id, at),
      KEY audit_worker_task (worker_id, task_id)
    ) DEFAULT CHARSET = utf8mb4`,
  },
  {
    name: 'workers_t',
    ddl: `CREATE TABLE IF NOT EXISTS workers_t (
      worker_id VARCHAR(64) NOT NULL PRIMARY KEY,
      last_heartbeat_at DATETIME(3) NULL,
      status_summary VARCHAR(255) NULL,
      hostname VARCHAR(255) NULL,
      updated_at DATETIME(3) NOT NULL
    ) DEFAULT CHARSET = utf8mb4`,
  },
];

export const SUPERVISOR_TABLES = TABLES.map((table) => table.name);

export interface MigrationResult {
  /** Tables that did not exist before and were created now. */
  created: string[];
}

async function existingTables(db: Queryable): Promise<Set<string>> {
  const rows = await query<RowDataPacket[]>(
    db,
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
  );
  return new Set(rows.map((row) => String(row.name)));
}

/** Creates the supervisor's tables when absent; safe to run on every start and concurrently. */
export async function migrate(db: Queryable): Promise<MigrationResult> {
  const before = await existingTables(db);
  for (const table of TABLES) await query(db, table.ddl);
  return { created: TABLES.map((table) => table.name).filter((name) => !before.has(name)) };
}

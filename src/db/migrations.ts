import type { RowDataPacket } from 'mysql2/promise';
import type { Queryable } from './pool.js';
import { query } from './pool.js';

/**
 * The supervisor's own tables. `CREATE TABLE IF NOT EXISTS`: a table that already exists (the production
 * workers_t, say) is never altered, except by the additive steps below. DATETIME(3) values are UTC (sessions
 * run in UTC).
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
      row_key VARCHAR(64) NULL,
      KEY audit_worker_at (worker_id, at),
      KEY audit_worker_task (worker_id, task_id),
      UNIQUE KEY audit_row_key (row_key)
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

/**
 * What later versions added to tables older versions created: only ever a new nullable column or a new
 * index, each added when information_schema says it is missing. Only the supervisor's own audit_log_t.
 */
const ADDITIONS: ReadonlyArray<{ table: string; name: string; kind: 'column' | 'index'; ddl: string }> = [
  // The idempotency key: a retried or back-filled row lands once (rows older than it keep NULL).
  { table: 'audit_log_t', name: 'row_key', kind: 'column', ddl: 'ADD COLUMN row_key VARCHAR(64) NULL' },
  { table: 'audit_log_t', name: 'audit_row_key', kind: 'index', ddl: 'ADD UNIQUE KEY audit_row_key (row_key)' },
];

/** MySQL's "duplicate column name" and "duplicate key name": another worker added it first. */
const ALREADY_ADDED = new Set(['ER_DUP_FIELDNAME', 'ER_DUP_KEYNAME']);

export interface MigrationResult {
  /** Tables that did not exist before and were created now. */
  created: string[];
  /** Columns and indexes (`table.name`) added now to a table an older version created. */
  added: string[];
}

async function existingTables(db: Queryable): Promise<Set<string>> {
  const rows = await query<RowDataPacket[]>(
    db,
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
  );
  return new Set(rows.map((row) => String(row.name)));
}

async function has(db: Queryable, addition: (typeof ADDITIONS)[number]): Promise<boolean> {
  const [view, column] = addition.kind === 'column' ? ['COLUMNS', 'COLUMN_NAME'] : ['STATISTICS', 'INDEX_NAME'];
  const rows = await query<RowDataPacket[]>(
    db,
    `SELECT 1 FROM information_schema.${view} WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND ${column} = ? LIMIT 1`,
    [addition.table, addition.name],
  );
  return rows.length > 0;
}

/** Adds what is missing; when several workers migrate at once, the one that loses the race finds it there. */
async function addMissing(db: Queryable): Promise<string[]> {
  const added: string[] = [];
  for (const addition of ADDITIONS) {
    if (await has(db, addition)) continue;
    try {
      await query(db, `ALTER TABLE ${addition.table} ${addition.ddl}`);
      added.push(`${addition.table}.${addition.name}`);
    } catch (error) {
      if (!ALREADY_ADDED.has(String((error as { code?: unknown }).code))) throw error;
    }
  }
  return added;
}

/** Creates the supervisor's tables when absent, adds what they miss; safe to run on every start and concurrently. */
export async function migrate(db: Queryable): Promise<MigrationResult> {
  const before = await existingTables(db);
  for (const table of TABLES) await query(db, table.ddl);
  const created = TABLES.map((table) => table.name).filter((name) => !before.has(name));
  return { created, added: await addMissing(db) };
}

/** audit_log_t: the audit's MySQL half. */
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Queryable } from '../db/pool.js';
import { query } from '../db/pool.js';
import type { AuditRecord, AuditSink, StoredAuditRecord } from './record.js';
import { redactSecrets } from './record.js';

/** Inserts `row` once: a row whose key is already there (a retry, a back-fill) is left as it is. */
export async function insertAudit(db: Queryable, row: AuditRecord): Promise<number> {
  const result = await query<ResultSetHeader>(
    db,
    `INSERT INTO audit_log_t (at, worker_id, task_id, handler, label, action, success, details, actor, row_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id`,
    // Cut to the column sizes: a strict-mode "data too long" would fail the audit on every retry.
    [
      new Date(row.at),
      row.worker_id.slice(0, 64),
      row.task_id?.slice(0, 64) ?? null,
      row.handler.slice(0, 64),
      row.label?.slice(0, 100) ?? null,
      row.action.slice(0, 64),
      row.success ? 1 : 0,
      JSON.stringify(redactSecrets(row.details)),
      row.actor?.slice(0, 128) ?? null,
      row.row_key?.slice(0, 64) ?? null,
    ],
  );
  return result.insertId;
}

function parseDetails(raw: unknown): Record<string, unknown> {
  // MariaDB stores JSON as LONGTEXT (a string comes back); MySQL hands back the parsed object.
  if (typeof raw === 'string') {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return { unparsable: raw };
    }
  }
  return raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
}

function fromRow(row: RowDataPacket): StoredAuditRecord {
  return {
    id: Number(row.id),
    at: row.at instanceof Date ? row.at.toISOString() : String(row.at),
    worker_id: String(row.worker_id),
    task_id: row.task_id === null ? null : String(row.task_id),
    handler: String(row.handler),
    label: row.label === null ? null : String(row.label),
    action: String(row.action),
    success: Number(row.success) === 1,
    details: parseDetails(row.details),
    actor: row.actor === null ? null : String(row.actor),
    ...(row.row_key === null || row.row_key === undefined ? {} : { row_key: String(row.row_key) }),
  };
}

export async function lastAuditRows(db: Queryable, n: number, workerId?: string): Promise<StoredAuditRecord[]> {
  const limit = Math.max(0, Math.min(1_000, Math.trunc(n)));
  const where = workerId === undefined ? '' : 'WHERE worker_id = ?';
  const rows = await query<RowDataPacket[]>(
    db,
    `SELECT id, at, worker_id, task_id, handler, label, action, success, details, actor, row_key
     FROM audit_log_t ${where} ORDER BY id DESC LIMIT ${limit}`,
    workerId === undefined ? [] : [workerId],
  );
  return rows.map(fromRow);
}

export function mysqlAuditSink(db: Queryable): AuditSink {
  return {
    kind: 'mysql',
    record: async (row) => {
      await insertAudit(db, row);
    },
    last: (n, workerId) => lastAuditRows(db, n, workerId),
  };
}

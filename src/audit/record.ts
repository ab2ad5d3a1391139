import { createHash, randomUUID } from 'node:crypto';

/** What an audit record is and where records go; shared by the sinks, the activities and the event mapping. */

/** One audit record; the same fields in audit_log_t and in audit.ndjson. `at` is ISO-8601 UTC. */
export interface AuditRecord {
  at: string;
  worker_id: string;
  task_id: string | null;
  handler: string;
  label: string | null;
  action: string;
  success: boolean;
  details: Record<string, unknown>;
  actor: string | null;
  /**
   * Idempotency key, the same for every attempt to record one row (auditRowKey): MySQL keeps one row per
   * key, so a retried activity or a back-filled row lands once. Absent in rows older than the key.
   */
  row_key?: string;
}

/** A record read back; `id` exists only for rows from the database. */
export type StoredAuditRecord = AuditRecord & { id?: number };

/** Where audit records go: MySQL when a database is configured, otherwise an NDJSON file. */
export interface AuditSink {
  readonly kind: 'mysql' | 'ndjson';
  record(row: AuditRecord): Promise<void>;
  /** The newest `n` records (of `workerId` when given), newest first. */
  last(n: number, workerId?: string): Promise<StoredAuditRecord[]>;
  /**
   * Moves the rows the database refused into it (sinks that keep such rows only); never concurrent with
   * itself, never rejects (a failure is logged and the rows wait for the next drain).
   */
  drain?(): Promise<{ drained: number }>;
}

/** The key of a row recorded by `parts` (an activity's identity and a name for the call), else a random one. */
export function auditRowKey(parts?: readonly string[]): string {
  if (parts === undefined) return randomUUID();
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

const SECRET_KEY = /password|passwd|secret|hmac|token|credential/i;

/** Audit details are free-form; a key that looks like a secret never reaches the audit. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key) ? '[redacted]' : redactSecrets(inner)]),
  );
}

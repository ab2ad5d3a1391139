/**
 * The two halves of "every audit row lands exactly once": the additive migration that gives an audit_log_t of
 * an older version its key, and a drain that a crash interrupts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { RowDataPacket } from 'mysql2/promise';
import type { AuditRecord } from '../../../src/audit/index.js';
import { auditRowKey, drainPendingAudit, insertAudit } from '../../../src/audit/index.js';
import { migrate, query } from '../../../src/db/index.js';
import { pendingAuditFileOf } from '../../../src/nas/paths.js';
import { startMariaDb } from '../../helpers/mariadb.js';
import type { MariaDbHarness } from '../../helpers/mariadb.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';

/** audit_log_t as the versions before the key created it. */
const OLD_AUDIT_LOG = `CREATE TABLE audit_log_t (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(3) NOT NULL, worker_id VARCHAR(64) NOT NULL, task_id VARCHAR(64) NULL,
  handler VARCHAR(64) NOT NULL, label VARCHAR(100) NULL, action VARCHAR(64) NOT NULL,
  success TINYINT(1) NOT NULL, details JSON NULL, actor VARCHAR(128) NULL,
  KEY audit_worker_at (worker_id, at), KEY audit_worker_task (worker_id, task_id)
) DEFAULT CHARSET = utf8mb4`;

const row = (n: number): AuditRecord => ({
  at: new Date(Date.UTC(2026, 1, 5, 14, 30, n)).toISOString(),
  worker_id: 'W1',
  task_id: `task_${n}`,
  handler: 'pause_watcher',
  label: null,
  action: 'completed',
  success: true,
  details: { n },
  actor: 'ops',
  row_key: auditRowKey([`wf_${n}`, 'run', '1', 'audit']),
});

const lines = (rows: AuditRecord[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

describe('audit_log_t key and back-fill', () => {
  let db: MariaDbHarness;
  let temp: TempDir;
  beforeAll(async () => {
    db = await startMariaDb({ database: 'supervisor_backfill' });
  }, 120_000);
  afterAll(async () => {
    await db?.stop();
  });
  beforeEach(async () => {
    await query(db.pool, 'DROP TABLE IF EXISTS audit_log_t, workers_t');
  });

  const keyed = async () =>
    (
      await query<RowDataPacket[]>(
        db.pool,
        'SELECT row_key, COUNT(*) AS n FROM audit_log_t GROUP BY row_key ORDER BY row_key',
      )
    ).map((r) => ({ key: r.row_key as string | null, n: Number(r.n) }));

  it('adds the key column and its unique index to an old-shaped audit_log_t, once, with workers migrating side by side', async () => {
    await query(db.pool, OLD_AUDIT_LOG);
    await query(
      db.pool,
      "INSERT INTO audit_log_t (at, worker_id, handler, action, success) VALUES (NOW(3), 'W0', 'verify_db', 'completed', 1)",
    );
    const results = await Promise.all([migrate(db.pool), migrate(db.pool), migrate(db.pool)]);
    // Each run saw workers_t missing or not; audit_log_t was never created anew.
    expect(results.map((result) => result.created)).toContainEqual(['workers_t']);
    expect(results.flatMap((result) => result.created).filter((table) => table !== 'workers_t')).toEqual([]);
    expect(results.flatMap((result) => result.added).sort()).toEqual([
      'audit_log_t.audit_row_key',
      'audit_log_t.row_key',
    ]);
    const unique = await query<RowDataPacket[]>(
      db.pool,
      "SELECT NON_UNIQUE AS nu, COLUMN_NAME AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit_log_t' AND INDEX_NAME = 'audit_row_key'",
    );
    expect(unique.map((r) => ({ nu: Number(r.nu), c: r.c as string }))).toEqual([{ nu: 0, c: 'row_key' }]);
    expect(await migrate(db.pool)).toEqual({ created: [], added: [] });
    // The old row keeps its NULL key; a retried insert of one row lands once.
    await insertAudit(db.pool, row(1));
    await insertAudit(db.pool, row(1));
    expect(await keyed()).toEqual([
      { key: null, n: 1 },
      { key: row(1).row_key, n: 1 },
    ]);
  });

  it('a drain interrupted after some rows (the .draining file left behind) lands every row once when run again', async () => {
    await migrate(db.pool);
    temp = await makeTempDir('ts-db-backfill-');
    try {
      const logs = path.join(temp.path, 'logs');
      await mkdir(logs, { recursive: true });
      const pending = pendingAuditFileOf(logs, 'W1');
      const first = Array.from({ length: 20 }, (_, n) => row(n));
      const later = Array.from({ length: 5 }, (_, n) => row(20 + n));
      // The crash: the pending file was moved to .draining and its first 8 rows inserted; then new rows were refused.
      await writeFile(`${pending}.draining`, lines(first));
      for (const r of first.slice(0, 8)) await insertAudit(db.pool, r);
      // A torn last line, as a crash mid-append leaves it, and a line from before the key.
      const unkeyed: Partial<AuditRecord> = row(99);
      delete unkeyed.row_key;
      await writeFile(pending, `${lines(later)}${JSON.stringify(unkeyed)}\n{"at":"2026-02-0`);
      expect(await drainPendingAudit(db.pool, pending)).toEqual({ drained: 26 });
      const all = [...first, ...later];
      const counts = await keyed();
      expect(counts.filter((c) => c.n !== 1)).toEqual([]);
      expect(counts).toHaveLength(all.length + 1);
      expect(all.filter((r) => !counts.some((c) => c.key === r.row_key))).toEqual([]);
      await expect(readFile(pending)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(readFile(`${pending}.draining`)).rejects.toMatchObject({ code: 'ENOENT' });
      // Nothing left, nothing done; the same lines again (a second crash, say) add nothing.
      expect(await drainPendingAudit(db.pool, pending)).toEqual({ drained: 0 });
      await writeFile(pending, `${lines(all)}${JSON.stringify(unkeyed)}\n`);
      expect(await drainPendingAudit(db.pool, pending)).toEqual({ drained: 26 });
      expect(await keyed()).toEqual(counts);
    } finally {
      await temp.cleanup();
    }
  });
});

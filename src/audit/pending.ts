/**
 * Rows the database refused wait in `<logs>/audit.pending.ndjson` (one JSON object a line, key included)
 * until a drain moves them into audit_log_t.
 */
import { rename, unlink } from 'node:fs/promises';
import type { Queryable } from '../db/pool.js';
import { readTextIfExists } from '../lib/atomic.js';
import { insertAudit } from './mysql.js';
import { parseLine } from './ndjson.js';
import { auditRowKey } from './record.js';

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** The pending file moved to `draining`; false when there was none. */
export async function movePending(file: string, draining: string): Promise<boolean> {
  try {
    await rename(file, draining);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

async function insertAll(db: Queryable, text: string): Promise<number> {
  let inserted = 0;
  for (const line of text.split('\n')) {
    const row = line.trim() === '' ? undefined : parseLine(line);
    // A line torn by a crash mid-append is skipped, as the NDJSON reader does.
    if (row === undefined) continue;
    // A line without a key gets one from its text: draining it again still lands it once.
    await insertAudit(db, { ...row, row_key: row.row_key ?? auditRowKey([line]) });
    inserted += 1;
  }
  return inserted;
}

/**
 * Exactly once and crash-safe: the pending file is renamed to `.draining` (rows refused meanwhile start a
 * new pending file), each of its rows inserted by key, then it is deleted. A crash (or an outage) in between
 * leaves `.draining`, which the next drain inserts again first; the rows already in are kept once by their
 * key. `move` renames the pending file; the sink passes one that waits for appends in flight.
 */
export async function drainPendingAudit(
  db: Queryable,
  file: string,
  move: (file: string, draining: string) => Promise<boolean> = movePending,
): Promise<{ drained: number }> {
  const draining = `${file}.draining`;
  let drained = 0;
  // At most two passes: what a crash left in `.draining`, then the pending file.
  for (let pass = 0; pass < 2; pass += 1) {
    let text = await readTextIfExists(draining);
    if (text === undefined) {
      if (!(await move(file, draining))) break;
      text = (await readTextIfExists(draining)) ?? '';
    }
    drained += await insertAll(db, text);
    await unlink(draining).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
  }
  return { drained };
}

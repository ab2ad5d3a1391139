/**
 * Backup and restore of a database file. The log only ever grows by whole frames (or is replaced by a
 * compaction's rename), so the frames that hold their length and checksum at the moment of reading are a
 * prefix of what the engine wrote: exactly what a `kill -9` at that instant would have left, which the engine
 * recovers from by design. A backup copies that prefix from an open descriptor (a compaction renaming a new
 * file over it leaves the old one whole and readable) and replays the copy with the engine's own reader
 * before it counts as written. A restore takes the engine's lock, so it cannot swap the file under a running engine.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { runSnapshot } from './codec.js';
import { replay } from './open.js';
import { lockDatabase, parseLog, syncDir } from './record-log.js';

export interface DatabaseSummary {
  file: string;
  bytes: number;
  records: number;
  runs: number;
  schedules: number;
  namespaces: string[];
}

export interface RestoreSummary extends DatabaseSummary {
  /** Where the replaced data file was saved; null when there was none. */
  saved: string | null;
}

/** Reads a log as the engine would and rebuilds every run's history from it; throws when it does not hold. */
function verify(file: string, data: Buffer, requireWhole: boolean): DatabaseSummary {
  const { records, end } = parseLog(data);
  if (requireWhole && end !== data.length)
    throw new Error(`${file} is not a whole database: valid records end at byte ${end} of ${data.length}`);
  const state = replay(records);
  for (const { last, events } of state.runs.values()) runSnapshot(last, events);
  return {
    file,
    bytes: end,
    records: records.length,
    runs: state.runs.size,
    schedules: state.schedules.size,
    namespaces: (state.namespaces ?? []).map((ns) => ns.name),
  };
}

function writeDurably(file: string, data: Buffer): void {
  const tmp = `${file}.partial`;
  writeFileSync(tmp, data);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDir(path.dirname(path.resolve(file)));
}

/** Copies the whole records of `dbFile` (running engine or not) to `outFile` and replays the copy. */
export async function backupDatabase(dbFile: string, outFile: string): Promise<DatabaseSummary> {
  if (path.resolve(dbFile) === path.resolve(outFile)) throw new Error('the backup file must not be the database');
  const fh = await open(dbFile, 'r');
  let data: Buffer;
  try {
    const { size } = await fh.stat();
    data = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await fh.read(data, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    data = data.subarray(0, read);
  } finally {
    await fh.close();
  }
  const { end } = parseLog(data);
  if (end === 0) throw new Error(`${dbFile} holds no records yet`);
  writeDurably(outFile, data.subarray(0, end));
  return { ...verify(outFile, readFileSync(outFile), true), file: outFile };
}

/** The name the replaced data file is saved under: beside it, stamped, never an existing file. */
function savedName(dbFile: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  for (let n = 0; ; n += 1) {
    const name = `${dbFile}.before-restore-${stamp}${n === 0 ? '' : `-${n}`}`;
    if (!existsSync(name)) return name;
  }
}

/**
 * Puts `backupFile` in place of `dbFile` under the engine's lock (refused, naming the process, while an engine
 * holds it); the file it replaces is renamed aside first.
 */
export function restoreDatabase(backupFile: string, dbFile: string, now = new Date()): RestoreSummary {
  const data = readFileSync(backupFile);
  const summary = verify(backupFile, data, true);
  const lockFile = lockDatabase(dbFile);
  try {
    let saved: string | null = null;
    if (existsSync(dbFile)) {
      saved = savedName(dbFile, now);
      renameSync(dbFile, saved);
    }
    rmSync(`${dbFile}.compact`, { force: true });
    writeDurably(dbFile, data);
    return { ...summary, file: dbFile, saved };
  } finally {
    rmSync(lockFile, { force: true });
  }
}

/**
 * A crash-safe append-only file of records: a magic header, then frames of [u32 length][u32 crc32][payload].
 * After `kill -9` (or a power cut) the last frame may be torn; opening the log keeps every frame whose length
 * and checksum hold and truncates the rest, so a torn write is simply an append that never happened.
 * Compaction writes a fresh file beside the log, syncs it and renames it over the old one (atomic on POSIX).
 */
import { mkdirSync, openSync, closeSync, fsyncSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('TSUPLOG1\n', 'utf8');
const HEADER = 8;
/** A length beyond this is a torn or garbage frame, not a record. */
const MAX_RECORD = 1 << 30;

export interface OpenedLog {
  log: RecordLog;
  records: Buffer[];
  /** Bytes cut off the end because the last write was torn (0 after a clean stop). */
  truncatedBytes: number;
}

function frame(payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

/** The valid records of a log file and the offset where valid data ends. */
export function parseLog(data: Buffer): { records: Buffer[]; end: number } {
  if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    if (data.length === 0 || MAGIC.subarray(0, data.length).equals(data)) return { records: [], end: 0 };
    throw new Error('not a devserver database (bad header)');
  }
  const records: Buffer[] = [];
  let at = MAGIC.length;
  while (at + HEADER <= data.length) {
    const len = data.readUInt32LE(at);
    const sum = data.readUInt32LE(at + 4);
    if (len > MAX_RECORD || at + HEADER + len > data.length) break;
    const payload = data.subarray(at + HEADER, at + HEADER + len);
    if (crc32(payload) !== sum) break;
    records.push(payload);
    at += HEADER + len;
  }
  return { records, end: at };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process per database: a second engine on the same file would cut what it takes for a torn tail out
 * from under the first one's writes. The lock file names its holder; one left by a killed process is taken over.
 */
export function lockDatabase(file: string): string {
  const lockFile = `${file}.lock`;
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return lockFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(lockFile, 'utf8').trim());
    if (holder > 0 && alive(holder)) throw new Error(`database ${file} is in use by process ${holder}`);
    rmSync(lockFile, { force: true });
  }
}

export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class RecordLog {
  private constructor(
    private fh: FileHandle,
    private readonly file: string,
    private readonly lockFile: string,
    /** Offset of the next frame: writes are positional, so a failed write is overwritten by the next. */
    private end: number,
  ) {}

  static async open(file: string): Promise<OpenedLog> {
    mkdirSync(path.dirname(file), { recursive: true });
    const lockFile = lockDatabase(file);
    // A compaction that crashed before its rename leaves a partial file; the log itself is intact.
    rmSync(`${file}.compact`, { force: true });
    try {
      return await RecordLog.openLocked(file, lockFile);
    } catch (err) {
      rmSync(lockFile, { force: true });
      throw err;
    }
  }

  private static async openLocked(file: string, lockFile: string): Promise<OpenedLog> {
    const existed = existsSync(file);
    const data = existed ? readFileSync(file) : Buffer.alloc(0);
    const { records, end } = parseLog(data);
    const fh = await open(file, existed ? 'r+' : 'w+');
    let at = end;
    if (at === 0) {
      await fh.truncate(0);
      await fh.write(MAGIC, 0, MAGIC.length, 0);
      at = MAGIC.length;
      await fh.sync();
      syncDir(path.dirname(file));
    } else if (end < data.length) {
      await fh.truncate(end);
      await fh.sync();
    }
    return { log: new RecordLog(fh, file, lockFile, at), records, truncatedBytes: data.length - end };
  }

  get size(): number {
    return this.end;
  }

  /** Appends the payloads as frames and returns once they are on disk (fdatasync). */
  async append(payloads: Buffer[]): Promise<void> {
    if (payloads.length === 0) return;
    const buf = Buffer.concat(payloads.map(frame));
    let written = 0;
    while (written < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, written, buf.length - written, this.end + written);
      written += bytesWritten;
    }
    await this.fh.datasync();
    this.end += buf.length;
  }

  /** Replaces the whole log with these payloads (compaction): new file, fsync, rename, fsync the directory. */
  async rewrite(payloads: Buffer[]): Promise<void> {
    const tmp = `${this.file}.compact`;
    const out = await open(tmp, 'w');
    let size = MAGIC.length;
    try {
      await out.write(MAGIC, 0, MAGIC.length, 0);
      for (const p of payloads) {
        const f = frame(p);
        await out.write(f, 0, f.length, size);
        size += f.length;
      }
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.file);
    syncDir(path.dirname(this.file));
    const old = this.fh;
    this.fh = await open(this.file, 'r+');
    this.end = size;
    await old.close();
  }

  async close(): Promise<void> {
    await this.fh.close();
    rmSync(this.lockFile, { force: true });
  }
}

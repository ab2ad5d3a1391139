import { appendFile, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { AuditRecord, AuditSink, StoredAuditRecord } from './record.js';
import { redactSecrets } from './record.js';

/** Reading back only needs recent records; a huge file is read from its end only. */
const TAIL_BYTES = 1_048_576;

async function readEnd(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    // When the read started mid-file, the first line is a fragment.
    return length < size ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    await handle.close();
  }
}

export function parseLine(line: string): StoredAuditRecord | undefined {
  try {
    return JSON.parse(line) as StoredAuditRecord;
  } catch {
    // A line torn by a crash mid-append is skipped, not fatal.
    return undefined;
  }
}

/**
 * One JSON object per line. Each record is one append of one line, which O_APPEND keeps whole even
 * with several writers on the same host.
 */
export function ndjsonAuditSink(file: string): AuditSink {
  return {
    kind: 'ndjson',
    record: async (row: AuditRecord) => {
      await mkdir(path.dirname(file), { recursive: true });
      const line = `${JSON.stringify({ ...row, details: redactSecrets(row.details) })}\n`;
      await appendFile(file, line, { encoding: 'utf8', flag: 'a' });
    },
    last: async (n, workerId) => {
      const records = (await readEnd(file))
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map(parseLine)
        .filter((record): record is StoredAuditRecord => record !== undefined)
        .filter((record) => workerId === undefined || record.worker_id === workerId);
      return records.slice(-Math.max(0, n)).reverse();
    },
  };
}

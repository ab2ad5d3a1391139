/**
 * The group commits the ledger, receipts and events share (issue 16), on a real file: every caller returns
 * only once what it gave is in the file (or synced), callers that overlap share a write or sync, and a
 * failed write fails only the callers whose texts it held.
 */
import { appendFile, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { groupSync, groupWrite } from '../../../src/ingest/group-sync.js';
import { useTempDir } from '../../helpers/tmp.js';

const tmp = useTempDir('group-sync-');

describe('groupWrite', () => {
  it('callers at once share one write, in order, each resolving with its text in the file', async () => {
    const file = path.join(tmp(), 'lines');
    let writes = 0;
    const write = groupWrite(async (text) => {
      writes += 1;
      await appendFile(file, text);
    });
    const seen = await Promise.all(
      Array.from({ length: 10 }, (_, i) => write(`line ${String(i)}\n`).then(() => readFile(file, 'utf8'))),
    );
    const expected = Array.from({ length: 10 }, (_, i) => `line ${String(i)}\n`).join('');
    for (const text of seen) expect(text).toBe(expected);
    expect(writes).toBe(1);
  });

  it('texts given while a write runs go in the next write; a failed write fails only its own callers', async () => {
    const file = path.join(tmp(), 'lines');
    let fail = true;
    const batches: string[] = [];
    const write = groupWrite(async (text) => {
      batches.push(text);
      if (fail) {
        fail = false;
        throw new Error('disk full');
      }
      await appendFile(file, text);
    });
    const first = write('a\n');
    const second = write('b\n');
    await expect(first).rejects.toThrow('disk full');
    await expect(second).rejects.toThrow('disk full');
    const third = write('c\n');
    const fourth = write('d\n');
    await Promise.all([third, fourth]);
    expect(batches).toEqual(['a\nb\n', 'c\nd\n']);
    expect(await readFile(file, 'utf8')).toBe('c\nd\n');
  });
});

describe('groupSync', () => {
  it('a caller arriving while a sync runs waits for a sync that began after it; overlapping callers share it', async () => {
    const file = path.join(tmp(), 'data');
    const handle = await open(file, 'a');
    try {
      let syncs = 0;
      let release: (() => void) | undefined;
      const synced = groupSync(async () => {
        syncs += 1;
        // The first sync is held until the test lets it go, so the later callers surely overlap it.
        if (syncs === 1) await new Promise<void>((resolve) => (release = resolve));
        await handle.datasync();
      });
      const order: string[] = [];
      const early = synced().then(() => order.push('early'));
      await new Promise((resolve) => setImmediate(resolve));
      const late = [synced(), synced(), synced()].map((p) => p.then(() => order.push('late')));
      release?.();
      await Promise.all([early, ...late]);
      // The late callers came while the first sync ran: served together by one more, not by the first.
      expect(syncs).toBe(2);
      expect(order).toEqual(['early', 'late', 'late', 'late']);
    } finally {
      await handle.close();
    }
  });
});

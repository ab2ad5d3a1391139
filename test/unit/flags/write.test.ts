import { describe, expect, it } from '@jest/globals';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readFlagFile } from '../../../src/flags/parse.js';
import { FlagInvalidError, FlagWaitingError, newTaskId, writeFlag } from '../../../src/flags/write.js';
import { useTempDir } from '../../helpers/tmp.js';

const options = { workerId: 'OrionMX', maxSize: 65_536 };
const readBack = { maxSize: 65_536, workerIds: ['OrionMX'], requireSignature: false };

describe('writeFlag', () => {
  const tmp = useTempDir('flag-write-');

  it('writes a flag the ingest accepts, under its final name only, defaults made explicit', async () => {
    const written = await writeFlag(tmp(), { task_id: 't1', handler: 'rollback_code', label: 'AA v1-2' }, options);
    expect(written).toBe(path.join(tmp(), 'supervisor_rollback_code_OrionMX.flag'));
    expect(await readdir(tmp())).toEqual(['supervisor_rollback_code_OrionMX.flag']);
    expect(JSON.parse(await readFile(written, 'utf8'))).toEqual({
      task_id: 't1',
      handler: 'rollback_code',
      label: 'AA v1-2',
      params: { commits_back: 1 },
    });
    const parsed = await readFlagFile(written, readBack);
    expect(parsed.ok && parsed.flag).toEqual({
      task_id: 't1',
      handler: 'rollback_code',
      label: 'AA v1-2',
      params: { commits_back: 1 },
    });
  });

  it('signs with the configured key so an ingest requiring signatures takes it', async () => {
    const written = await writeFlag(
      tmp(),
      { task_id: 't1', handler: 'verify_db', signature: 'f'.repeat(64) },
      { ...options, hmacKey: 'k3y' },
    );
    const parsed = await readFlagFile(written, { ...readBack, requireSignature: true, hmacKey: 'k3y' });
    expect(parsed.ok && parsed.signature).toBe('valid');
  });

  it('refuses an invalid flag with every problem and writes nothing', async () => {
    const bad = {
      task_id: 'a/b',
      handler: 'rollback_code',
      label: 'x'.repeat(101),
      params: { commits_back: 0 },
    } as const;
    const error = await writeFlag(tmp(), bad, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlagInvalidError);
    expect((error as FlagInvalidError).problems.map((p) => p.path)).toEqual([
      'task_id',
      'label',
      'params.commits_back',
    ]);
    expect(await readdir(tmp())).toEqual([]);
    await expect(
      writeFlag(tmp(), { task_id: 't1', handler: 'verify_db' }, { ...options, workerId: 'no/slash' }),
    ).rejects.toThrow(/\(name\): worker id "no\/slash" must be/);
  });

  it('refuses a flag larger than the ingest would read', async () => {
    await expect(
      writeFlag(tmp(), { task_id: 't1', handler: 'verify_db' }, { ...options, maxSize: 20 }),
    ).rejects.toThrow(/\(file\): is \d+ bytes, over the limit of 20/);
    expect(await readdir(tmp())).toEqual([]);
  });

  it('never replaces a flag that is still waiting', async () => {
    const waiting = path.join(tmp(), 'supervisor_pause_watcher_OrionMX.flag');
    await writeFile(waiting, 'original');
    await expect(writeFlag(tmp(), { task_id: 't2', handler: 'pause_watcher' }, options)).rejects.toBeInstanceOf(
      FlagWaitingError,
    );
    expect(await readFile(waiting, 'utf8')).toBe('original');
    expect(await readdir(tmp())).toEqual(['supervisor_pause_watcher_OrionMX.flag']);
  });

  it("says so when a folder holds the flag's name, and writes nothing into it", async () => {
    const inbox = tmp();
    await mkdir(path.join(inbox, 'supervisor_pause_watcher_OrionMX.flag'));
    const error = await writeFlag(inbox, { task_id: 't3', handler: 'pause_watcher' }, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlagWaitingError);
    expect((error as FlagWaitingError).notAFile).toBe(true);
    expect((error as Error).message).toMatch(/not a flag file \(a folder\?\).*moves it to rejected/);
    expect(await readdir(path.join(inbox, 'supervisor_pause_watcher_OrionMX.flag'))).toEqual([]);
  });

  it('fails with ENOENT when the inbox is missing instead of creating it', async () => {
    const inbox = path.join(tmp(), 'not-mounted');
    await expect(writeFlag(inbox, { task_id: 't1', handler: 'verify_db' }, options)).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await mkdir(inbox);
    await expect(writeFlag(inbox, { task_id: 't1', handler: 'verify_db' }, options)).resolves.toMatch(
      /supervisor_verify_db_OrionMX\.flag$/,
    );
  });
});

describe('newTaskId', () => {
  it('is task_YYYYMMDD_HHMMSS_<random> in UTC, a valid and unique task id', () => {
    const at = new Date('2026-02-05T13:45:01.999Z');
    const ids = new Set(Array.from({ length: 100 }, () => newTaskId(at)));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^task_20260205_134501_[0-9a-f]{8}$/);
  });
});

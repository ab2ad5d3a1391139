import { describe, expect, it, jest } from '@jest/globals';
import * as realFs from 'node:fs/promises';
import path from 'node:path';
import { useTempDir } from '../../helpers/tmp.js';

// Every open() of the module under test goes through this spy, so "not read" is observed, not assumed.
const openSpy = jest.fn(realFs.open);
jest.unstable_mockModule('node:fs/promises', () => ({ ...realFs, default: realFs, open: openSpy }));
const { readFlagFile } = await import('../../../src/flags/parse.js');

const options = { maxSize: 1_024, workerIds: ['OrionMX'], requireSignature: false };
const body = JSON.stringify({ task_id: 't1', handler: 'update_code' });

describe('size limit', () => {
  const tmp = useTempDir('flag-limit-');

  it('refuses a file over the limit from its lstat size without opening it', async () => {
    const file = path.join(tmp(), 'supervisor_update_code_OrionMX.flag');
    // Sparse, 4 GiB: reading it would take long and fail loudly, refusing it takes one lstat.
    await realFs.writeFile(file, body);
    await realFs.truncate(file, 4 * 1024 ** 3);
    openSpy.mockClear();
    const result = await readFlagFile(file, options);
    expect(result).toEqual({
      ok: false,
      problems: [
        { path: '(file)', message: 'is 4294967296 bytes, over the limit of 1024 (ingest.max_flag_size); not read' },
      ],
      workerId: 'OrionMX',
    });
    expect(openSpy).not.toHaveBeenCalled();
  });

  it('does open a file within the limit (the spy sees reads)', async () => {
    const file = path.join(tmp(), 'supervisor_update_code_OrionMX.flag');
    await realFs.writeFile(file, body);
    openSpy.mockClear();
    const result = await readFlagFile(file, options);
    expect(result.ok).toBe(true);
    expect(openSpy).toHaveBeenCalledTimes(1);
  });

  it('takes a file of exactly the limit', async () => {
    const file = path.join(tmp(), 'supervisor_update_code_OrionMX.flag');
    await realFs.writeFile(file, body.padEnd(options.maxSize, ' '));
    expect((await readFlagFile(file, options)).ok).toBe(true);
    await realFs.writeFile(file, body.padEnd(options.maxSize + 1, ' '));
    const over = await readFlagFile(file, options);
    expect(over.ok ? [] : over.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^is 1025 bytes, over the limit of 1024/),
    ]);
  });
});

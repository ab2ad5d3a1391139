import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseFlagBytes, readFlagFile } from '../../../src/flags/parse.js';
import type { FlagParseOptions, FlagParseResult } from '../../../src/flags/parse.js';
import { useTempDir } from '../../helpers/tmp.js';

const options: FlagParseOptions = { maxSize: 65_536, workerIds: ['OrionMX'], requireSignature: false };
const ROLLBACK = 'supervisor_rollback_code_OrionMX.flag';

function parse(body: unknown, name = ROLLBACK, opts = options): FlagParseResult {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return parseFlagBytes(Buffer.from(text, 'utf8'), name, opts);
}

/** `path: message` of every problem; a valid flag yields an empty list. */
function problems(body: unknown, name = ROLLBACK, opts = options): string[] {
  const result = parse(body, name, opts);
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

const rollback = (extra: Record<string, unknown> = {}) => ({
  task_id: 'task_20260205_001',
  handler: 'rollback_code',
  label: 'AA v1-2',
  params: { commits_back: 3 },
  ...extra,
});

describe('valid flags', () => {
  it('accepts the SPEC example with sha256, bytes and the resolved worker id', () => {
    const text = JSON.stringify(rollback());
    const result = parseFlagBytes(Buffer.from(text), ROLLBACK, options);
    expect(result).toEqual({
      ok: true,
      flag: rollback(),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      bytes: Buffer.from(text),
      workerId: 'OrionMX',
      signature: 'absent',
    });
  });

  it('fills commits_back=1 and params={} by default, and takes a null or absent label', () => {
    const defaulted = parse({ task_id: 't1', handler: 'rollback_code', label: null });
    expect(defaulted.ok && defaulted.flag).toEqual({
      task_id: 't1',
      handler: 'rollback_code',
      label: null,
      params: { commits_back: 1 },
    });
    const bare = parse(
      { task_id: 't.2-x_y', handler: 'pause_watcher', requested_by: 'ops@host' },
      'supervisor_pause_watcher_OrionMX.flag',
    );
    expect(bare.ok && bare.flag).toEqual({
      task_id: 't.2-x_y',
      handler: 'pause_watcher',
      params: {},
      requested_by: 'ops@host',
    });
  });

  it('refuses a task id or label that starts with "-" (read as an option by tools that get the file name)', () => {
    expect(problems(rollback({ task_id: '-rf', label: '--force' }))).toEqual([
      'task_id: must not start with "-" (it names files: a tool would read it as an option)',
      'label: must not start with "-" (labels name files and prefix log lines)',
    ]);
  });

  it('takes a label of exactly 100 characters and a UTF-8 BOM written by Windows editors', () => {
    expect(problems(rollback({ label: 'a'.repeat(100) }))).toEqual([]);
    expect(
      parseFlagBytes(
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(rollback()))]),
        ROLLBACK,
        options,
      ).ok,
    ).toBe(true);
  });

  it('reads the worker id from the exact name when a worker id starts with deps_', () => {
    const opts = { ...options, workerIds: ['deps_W1', 'W1'] };
    const code = parse({ task_id: 't1', handler: 'update_code' }, 'supervisor_update_code_deps_W1.flag', opts);
    expect(code.ok && code.workerId).toBe('deps_W1');
    const deps = parse({ task_id: 't1', handler: 'update_code_deps' }, 'supervisor_update_code_deps_W1.flag', opts);
    expect(deps.ok && deps.workerId).toBe('W1');
  });
});

describe('bad flags: every problem with its path, never a throw', () => {
  it.each<[string, unknown, string[]]>([
    ['not JSON', '{"task_id": ', ['(file): is not JSON: Unexpected end of JSON input']],
    ['empty', '', ['(file): is empty']],
    ['not an object', '[1,2]', ['(root): must be a JSON object']],
    [
      'a label of 101 characters',
      rollback({ label: 'a'.repeat(101) }),
      ['label: must be at most 100 characters, got 101'],
    ],
    [
      'a label with ;',
      rollback({ label: 'AA; rm -rf /' }),
      ['label: may contain only letters, digits, spaces, hyphens and underscores'],
    ],
    [
      'commits_back 0',
      rollback({ params: { commits_back: 0 } }),
      ['params.commits_back: must be an integer from 1 to 10, got 0'],
    ],
    [
      'commits_back 11',
      rollback({ params: { commits_back: 11 } }),
      ['params.commits_back: must be an integer from 1 to 10, got 11'],
    ],
    [
      'commits_back "3"',
      rollback({ params: { commits_back: '3' } }),
      ['params.commits_back: must be an integer from 1 to 10, got "3"'],
    ],
    [
      'commits_back 3.5',
      rollback({ params: { commits_back: 3.5 } }),
      ['params.commits_back: must be an integer from 1 to 10, got 3.5'],
    ],
    ['an unknown key', rollback({ priority: 'high' }), ['priority: unknown key']],
    [
      'an unknown parameter',
      rollback({ params: { commits_back: 2, force: true } }),
      ['params.force: unknown parameter (rollback_code takes commits_back)'],
    ],
    [
      'a bad task_id',
      rollback({ task_id: 'a/b' }),
      ['task_id: must be 1-64 characters of letters, digits, "_", "-" or "."'],
    ],
    [
      'a task_id of 65',
      rollback({ task_id: 'x'.repeat(65) }),
      ['task_id: must be 1-64 characters of letters, digits, "_", "-" or "."'],
    ],
    ['a missing task_id', { handler: 'rollback_code' }, ['task_id: is required']],
  ])('%s', (_case, body, expected) => {
    expect(problems(body)).toEqual(expected);
  });

  it('an unknown handler, still listing the other problems', () => {
    expect(problems({ task_id: 't1', handler: 'format_disk', label: 'x;y', extra: 1 })).toEqual([
      'label: may contain only letters, digits, spaces, hyphens and underscores',
      expect.stringMatching(
        /^handler: unknown handler "format_disk"; expected one of update_code, update_code_deps, rollback_code,/,
      ),
      'extra: unknown key',
    ]);
    expect(problems({ task_id: 't1' })).toEqual(['handler: is required']);
    expect(problems({ task_id: 't1', handler: 'x' }, 'supervisor_format_disk_OrionMX.flag')[0]).toMatch(
      /^\(name\): .*no known handler/,
    );
  });

  it('a handler in the name different from the body', () => {
    expect(problems(rollback(), 'supervisor_update_code_OrionMX.flag')).toEqual([
      '(name): names handler update_code but the body says rollback_code',
    ]);
  });

  it('a foreign worker id', () => {
    expect(problems(rollback(), 'supervisor_rollback_code_Vega.flag')).toEqual([
      '(name): is for worker Vega, which this ingest does not serve (serves: OrionMX)',
    ]);
  });

  it('a __proto__ key, top level and nested, without touching Object.prototype', () => {
    const text = '{"task_id":"t1","handler":"rollback_code","__proto__":{"polluted":1},"params":{"__proto__":{"x":1}}}';
    expect(problems(text)).toEqual([
      '__proto__: forbidden key (prototype poisoning)',
      'params.__proto__: forbidden key (prototype poisoning)',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a nested constructor.prototype', () => {
    const text =
      '{"task_id":"t1","handler":"rollback_code","params":{"a":[{"constructor":{"prototype":{"polluted":1}}}]}}';
    expect(problems(text)).toEqual([
      'params.a.0.constructor.prototype: forbidden key (prototype poisoning)',
      'params.a: unknown parameter (rollback_code takes commits_back)',
    ]);
  });

  it('deep nesting and invalid UTF-8 end in a rejection, not a crash', () => {
    const deep = `{"task_id":"t1","handler":"rollback_code","label":${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
    expect(problems(deep)).toEqual([
      '(file): is too deeply nested: more than 32 levels of objects and arrays (a flag needs 3)',
    ]);
    expect(parseFlagBytes(Buffer.from([0x7b, 0xff, 0x7d]), ROLLBACK, options)).toMatchObject({
      ok: false,
      problems: [{ path: '(file)', message: 'is not valid UTF-8 text' }],
    });
  });

  it('lists name and body problems together', () => {
    expect(
      problems(rollback({ label: 'a;b', params: { commits_back: 0 } }), 'supervisor_update_code_OrionMX.flag'),
    ).toEqual([
      '(name): names handler update_code but the body says rollback_code',
      'label: may contain only letters, digits, spaces, hyphens and underscores',
      'params.commits_back: must be an integer from 1 to 10, got 0',
    ]);
  });
});

describe('whose flag it is (a shared inbox)', () => {
  it('calls a flag for a worker it does not serve foreign, not bad, whatever its body', () => {
    for (const body of [rollback(), 'not json', '']) {
      expect(parse(body, 'supervisor_rollback_code_Vega.flag')).toMatchObject({
        ok: false,
        foreign: true,
        workerId: 'Vega',
      });
    }
  });

  it('reads supervisor_update_code_deps_X.flag by its body: update_code for deps_X, else update_code_deps for X', () => {
    const name = 'supervisor_update_code_deps_W1.flag';
    const forW1 = { ...options, workerIds: ['W1'] };
    const forDeps = { ...options, workerIds: ['deps_W1'] };
    const deps = { task_id: 't1', handler: 'update_code_deps' };
    const code = { task_id: 't1', handler: 'update_code' };
    expect(parse(deps, name, forW1)).toMatchObject({ ok: true, workerId: 'W1' });
    expect(parse(deps, name, forDeps)).toMatchObject({ ok: false, foreign: true });
    expect(parse(code, name, forDeps)).toMatchObject({ ok: true, workerId: 'deps_W1' });
    expect(parse(code, name, forW1)).toMatchObject({ ok: false, foreign: true });
    // A body that names neither, or cannot be read, belongs to the first reading: exactly one host rejects it.
    for (const body of ['not json', { task_id: 't1', handler: 'verify_db' }]) {
      expect(parse(body, name, forW1)).toMatchObject({ ok: false, workerId: 'W1' });
      expect(parse(body, name, forW1)).not.toHaveProperty('foreign');
      expect(parse(body, name, forDeps)).toMatchObject({ ok: false, foreign: true });
    }
  });

  it('takes a malformed name as the flag of the served worker whose id ends it, else foreign', () => {
    expect(parse(rollback(), 'supervisor_frobnicate_OrionMX.flag')).toMatchObject({
      ok: false,
      workerId: 'OrionMX',
      problems: [{ path: '(name)', message: expect.stringMatching(/no known handler/) }],
    });
    expect(parse(rollback(), 'supervisor_frobnicate_OrionMX.flag')).not.toHaveProperty('foreign');
    expect(parse(rollback(), 'supervisor_frobnicate_Vega.flag')).toMatchObject({ ok: false, foreign: true });
  });
});

describe('reading flag files', () => {
  const tmp = useTempDir('flag-read-');

  it('reads a regular file', async () => {
    const file = path.join(tmp(), ROLLBACK);
    await writeFile(file, JSON.stringify(rollback()));
    const result = await readFlagFile(file, options);
    expect(result.ok && result.flag.handler).toBe('rollback_code');
  });

  it('refuses a symlink without following it, even to a valid flag', async () => {
    const target = path.join(tmp(), 'elsewhere.json');
    await writeFile(target, JSON.stringify(rollback()));
    const link = path.join(tmp(), ROLLBACK);
    await symlink(target, link);
    expect(await readFlagFile(link, options)).toEqual({
      ok: false,
      problems: [{ path: '(file)', message: 'is a symbolic link (not followed): a flag must be a regular file' }],
      workerId: 'OrionMX',
    });
  });

  it('refuses a directory and a FIFO without blocking', async () => {
    const dir = path.join(tmp(), 'supervisor_pause_watcher_OrionMX.flag');
    await mkdir(dir);
    expect(await readFlagFile(dir, options)).toMatchObject({
      ok: false,
      problems: [{ path: '(file)', message: 'is a directory, not a regular file' }],
    });
    const fifo = path.join(tmp(), ROLLBACK);
    execFileSync('mkfifo', [fifo]);
    expect(await readFlagFile(fifo, options)).toMatchObject({
      ok: false,
      problems: [{ path: '(file)', message: 'is a FIFO, not a regular file' }],
    });
  });

  it('marks a vanished file as transient, and reports an empty one with the name problems', async () => {
    expect(await readFlagFile(path.join(tmp(), ROLLBACK), options)).toEqual({
      ok: false,
      problems: [{ path: '(file)', message: 'cannot be read: ENOENT' }],
      transient: true,
    });
    const empty = path.join(tmp(), 'supervisor_rollback_code_Vega.flag');
    await writeFile(empty, '');
    const result = await readFlagFile(empty, options);
    expect(result.ok ? [] : result.problems.map((p) => p.message)).toEqual([
      'is empty',
      'is for worker Vega, which this ingest does not serve (serves: OrionMX)',
    ]);
  });
});

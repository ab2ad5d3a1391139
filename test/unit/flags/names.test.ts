import { describe, expect, it } from '@jest/globals';
import { HANDLERS, compareWaitingFlags, priorityOf } from '../../../src/flags/handlers.js';
import type { WaitingFlag } from '../../../src/flags/handlers.js';
import {
  flagFileName,
  isIgnoredName,
  parseFlagName,
  readingFor,
  readingsOf,
  servedWorkerOf,
} from '../../../src/flags/names.js';

describe('flag file names', () => {
  it('splits every known handler, underscores included, from the worker id', () => {
    for (const handler of HANDLERS) {
      expect(parseFlagName(flagFileName(handler, 'OrionMX'))).toEqual({ ok: true, handler, workerId: 'OrionMX' });
    }
    expect(parseFlagName('supervisor_rollback_code_OrionMX.flag')).toEqual({
      ok: true,
      handler: 'rollback_code',
      workerId: 'OrionMX',
    });
    expect(parseFlagName('supervisor_update_code_deps_W-1.flag')).toEqual({
      ok: true,
      handler: 'update_code_deps',
      workerId: 'W-1',
    });
    expect(parseFlagName('supervisor_update_code_host_a.b.flag')).toEqual({
      ok: true,
      handler: 'update_code',
      workerId: 'host_a.b',
    });
  });

  it('refuses names without a known handler or a valid worker id, saying why', () => {
    const cases: [string, RegExp][] = [
      ['supervisor_frobnicate_W1.flag', /no known handler/],
      ['supervisor_rollback_code_.flag', /worker id "" in the name must be/],
      ['supervisor_rollback_code_-bad.flag', /worker id "-bad" in the name must be 1-64/],
      ['rollback_code_W1.flag', /expected supervisor_<handler>_<workerId>\.flag/],
      ['supervisor_rollback_code_W1.json', /expected supervisor_/],
    ];
    for (const [name, message] of cases) {
      const parsed = parseFlagName(name);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).toMatch(message);
    }
  });

  it('ignores temporary, hidden and non-.flag names but not misnamed .flag files', () => {
    for (const name of [
      '.supervisor_update_code_W1.flag',
      'supervisor_update_code_W1.flag.tmp',
      'x.partial',
      'notes.txt',
      'supervisor_update_code_W1.flag.partial',
      'README',
    ]) {
      expect(isIgnoredName(name)).toBe(true);
    }
    for (const name of ['supervisor_update_code_W1.flag', 'typo_W1.flag']) expect(isIgnoredName(name)).toBe(false);
  });
});

describe('priority of waiting flags', () => {
  it('ranks emergency (reserved) before code before operational before diagnostics', () => {
    expect(priorityOf('update_code')).toBe(1);
    expect(priorityOf('rollback_code')).toBe(1);
    expect(priorityOf('pause_watcher')).toBe(2);
    expect(priorityOf('verify_db')).toBe(3);
    expect(priorityOf(undefined)).toBe(4);
  });

  it('orders by tier, then older mtime, then name', () => {
    const waiting: WaitingFlag[] = [
      { name: 'supervisor_verify_db_W1.flag', mtimeMs: 1, handler: 'verify_db' },
      { name: 'junk.flag', mtimeMs: 0 },
      { name: 'supervisor_restart_watcher_W1.flag', mtimeMs: 5, handler: 'restart_watcher' },
      { name: 'supervisor_pause_watcher_W1.flag', mtimeMs: 3, handler: 'pause_watcher' },
      { name: 'supervisor_update_code_W2.flag', mtimeMs: 9, handler: 'update_code' },
      { name: 'supervisor_rollback_code_W1.flag', mtimeMs: 9, handler: 'rollback_code' },
      { name: 'supervisor_diagnostics_W1.flag', mtimeMs: 0, handler: 'diagnostics' },
    ];
    expect([...waiting].sort(compareWaitingFlags).map((flag) => flag.name)).toEqual([
      'supervisor_rollback_code_W1.flag',
      'supervisor_update_code_W2.flag',
      'supervisor_pause_watcher_W1.flag',
      'supervisor_restart_watcher_W1.flag',
      'supervisor_diagnostics_W1.flag',
      'supervisor_verify_db_W1.flag',
      'junk.flag',
    ]);
  });
});

describe('names on a shared inbox', () => {
  it('reads every valid way, longest handler first', () => {
    expect(readingsOf('supervisor_update_code_deps_W1.flag')).toEqual([
      { handler: 'update_code_deps', workerId: 'W1' },
      { handler: 'update_code', workerId: 'deps_W1' },
    ]);
    expect(readingsOf('supervisor_update_code_deps_.flag')).toEqual([{ handler: 'update_code', workerId: 'deps_' }]);
    expect(parseFlagName('supervisor_update_code_deps_.flag')).toEqual({
      ok: true,
      handler: 'update_code',
      workerId: 'deps_',
    });
    expect(readingsOf('supervisor_frobnicate_W1.flag')).toEqual([]);
  });

  it('lets the body pick the reading, the first one when it names neither', () => {
    const name = 'supervisor_update_code_deps_W1.flag';
    expect(readingFor(name, { handler: 'update_code' })).toEqual({ handler: 'update_code', workerId: 'deps_W1' });
    expect(readingFor(name, { handler: 'update_code_deps' })).toEqual({ handler: 'update_code_deps', workerId: 'W1' });
    for (const body of [undefined, null, 'text', { handler: 'verify_db' }])
      expect(readingFor(name, body)).toEqual({ handler: 'update_code_deps', workerId: 'W1' });
  });

  it('tells which served worker a name may belong to before reading it', () => {
    expect(servedWorkerOf('supervisor_rollback_code_W1.flag', ['W1', 'W2'])).toBe('W1');
    expect(servedWorkerOf('supervisor_rollback_code_W3.flag', ['W1', 'W2'])).toBeUndefined();
    expect(servedWorkerOf('supervisor_update_code_deps_W1.flag', ['deps_W1'])).toBe('deps_W1');
    // Malformed: the served id that ends the name (the longest when several do), else nobody here.
    expect(servedWorkerOf('supervisor_frobnicate_x_W1.flag', ['W1', 'x_W1'])).toBe('x_W1');
    expect(servedWorkerOf('supervisor_frobnicate_W1.flag', ['W1'])).toBe('W1');
    expect(servedWorkerOf('supervisor_rollback_code_bad id.flag', ['W1'])).toBeUndefined();
  });
});

import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, parseConfig, parseConfigSections } from '../../src/config/load.js';
import { taskQueueOf } from '../../src/config/schema.js';

const base = '/srv/supervisor';
const parse = (text: string, env: Record<string, string> = {}) =>
  parseConfig(text, { source: 'test.yaml', env, baseDir: base });

function problemsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parse(text, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config defaults', () => {
  it('runs out of the box under ./var with the sample watcher', () => {
    const config = parse('worker_id: OrionMX');
    expect(config.paths).toEqual({
      nas_root: `${base}/var/nas`,
      inbox: `${base}/var/nas/Worker_Inbox`,
      outbox: `${base}/var/nas/Worker_Outbox`,
      state: `${base}/var/nas/00_STATE`,
      logs: `${base}/var/nas/05_LOGS`,
      diagnostics: `${base}/var/nas/05_LOGS/diagnostics`,
    });
    expect(config.temporal).toEqual({
      address: 'embedded',
      namespace: 'default',
      task_queue_prefix: 'supervisor',
      embedded: { host: '127.0.0.1', port: 7233, db: `${base}/var/temporal.db` },
      temporal_cli: { host: '127.0.0.1', port: 7233, ui_port: 8233, db: `${base}/var/temporal-cli.db` },
    });
    expect(parse('worker_id: w1\ntemporal:\n  embedded:\n    db: ":memory:"\n').temporal.embedded.db).toBe(':memory:');
    expect(config.database).toBeUndefined();
    expect(config.watcher.command).toBe(process.execPath);
    expect(path.basename(config.watcher.args[0] ?? '')).toBe('sample-watcher.mjs');
    expect(config.watcher.stop_timeout).toBe(30_000);
    expect(config.watcher.hang_timeout).toBe(30_000);
    expect(config.watcher.heartbeat_file).toBe(`${base}/var/nas/00_STATE/watcher_heartbeat_OrionMX.json`);
    expect(config.health).toEqual({
      interval: 60_000,
      restart_budget: { max_restarts: 5, window: 600_000 },
      backoff: { initial: 1_000, max: 60_000, reset_after: 300_000 },
    });
    expect(config.ingest).toEqual({
      polling: false,
      poll_interval: 2_000,
      rescan_interval: 30_000,
      max_flag_size: 65_536,
    });
    expect(config.repo.deps_install).toEqual({
      command: 'pip',
      args: ['install', '-r', 'requirements.txt'],
      timeout: 600_000,
    });
    expect(config.logging).toEqual({
      level: 'info',
      file: `${base}/var/nas/05_LOGS/supervisor.log`,
      rotation_size: 10_000_000,
      keep_files: 5,
    });
    expect(taskQueueOf(config)).toBe('supervisor-OrionMX');
  });

  it('takes the host name as worker id when the file names none', () => {
    expect(parse('').worker_id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
  });

  it('lets each folder be overridden on its own', () => {
    const config = parse('worker_id: w1\npaths:\n  nas_root: /mnt/nas\n  logs: /var/log/sup\n');
    expect(config.paths.inbox).toBe('/mnt/nas/Worker_Inbox');
    expect(config.paths.logs).toBe('/var/log/sup');
    expect(config.paths.diagnostics).toBe('/var/log/sup/diagnostics');
    expect(config.logging.file).toBe('/var/log/sup/supervisor.log');
  });

  it('accepts the shipped example, every key of it', () => {
    const text = readFileSync(new URL('../../config/supervisor.example.yaml', import.meta.url), 'utf8');
    const config = parse(text, { SUPERVISOR_WORKER_ID: 'Host-7' });
    expect(config.worker_id).toBe('Host-7');
    expect(config.security.hmac_key).toBe('');
    expect(config.ingest.max_flag_size).toBe(65_536);
  });
});

describe('environment substitution', () => {
  it('uses a set variable, and reads a whole ${...} as a YAML scalar', () => {
    const config = parse('worker_id: ${WID}\nhttp:\n  port: ${PORT}\ningest:\n  polling: ${POLL}\n', {
      WID: 'OrionMX',
      PORT: '9000',
      POLL: 'true',
    });
    expect(config.worker_id).toBe('OrionMX');
    expect(config.http.port).toBe(9000);
    expect(config.ingest.polling).toBe(true);
  });

  it('keeps a quoted substitution a string, whatever its value spells', () => {
    const config = parse(
      'worker_id: "${WID}"\ndatabase:\n  host: db\n  user: u\n  database: d\n  password: "${PW}"\n',
      { WID: '1234', PW: '123 #x' },
    );
    expect(config.worker_id).toBe('1234');
    expect(config.database?.password).toBe('123 #x');
  });

  it('falls back to the default when unset or empty', () => {
    const config = parse('worker_id: ${WID:-fallback}\npaths:\n  nas_root: /mnt/${SHARE:-nas}/root\n', { WID: '' });
    expect(config.worker_id).toBe('fallback');
    expect(config.paths.nas_root).toBe('/mnt/nas/root');
  });

  it('reports an unset variable without default with its path', () => {
    expect(
      problemsOf('worker_id: w1\ndatabase:\n  host: db\n  user: u\n  database: d\n  password: ${DB_PASSWORD}\n'),
    ).toEqual([
      'database.password: environment variable DB_PASSWORD is not set and has no default (write ${DB_PASSWORD:-default})',
    ]);
  });

  it('keeps $$ as a literal dollar', () => {
    expect(parse('worker_id: w1\nwatcher:\n  env:\n    PRICE: "$${HOME}"\n').watcher.env.PRICE).toBe('${HOME}');
  });
});

describe('invalid configuration', () => {
  it('lists every invalid field with its path', () => {
    const problems = problemsOf(
      [
        'worker_id: "bad id"',
        'temporal:',
        '  address: "not an address"',
        'watcher:',
        '  stop_timeout: 5 parsecs',
        '  args: echo',
        'http:',
        '  port: high',
        'ingest:',
        '  polling: "sometimes"',
        '  max_flag_size: 12 apples',
        'logging:',
        '  level: loud',
        'health:',
        '  restart_budget:',
        '    max_restarts: 0',
        'database:',
        '  port: 3306',
      ].join('\n'),
    );
    const paths = problems.map((p) => p.split(':')[0]);
    expect(paths.sort()).toEqual(
      [
        'worker_id',
        'temporal.address',
        'watcher.stop_timeout',
        'watcher.args',
        'http.port',
        'ingest.polling',
        'ingest.max_flag_size',
        'logging.level',
        'health.restart_budget.max_restarts',
        'database.host',
        'database.user',
        'database.database',
      ].sort(),
    );
    expect(problems).toContain(
      'watcher.stop_timeout: expected a duration like "30s", "10m" or a number of seconds, got "5 parsecs"',
    );
  });

  it('rejects unknown keys, top-level and nested', () => {
    expect(problemsOf('worker_id: w1\nwatchr: {}\nwatcher:\n  comand: python\n').sort()).toEqual([
      'watcher.comand: unknown key',
      'watchr: unknown key',
    ]);
  });

  it('requires a key when signatures are required', () => {
    expect(problemsOf('worker_id: w1\nsecurity:\n  require_signature: true\n')).toEqual([
      'security.hmac_key: is required when require_signature is true',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problemsOf('worker_id: w1\nhttp:\n  port: [1, 2\n')[0]).toMatch(/^line \d+: /);
  });

  it('reports an alias that names no anchor, and an alias bomb, as problems (found by the property test)', () => {
    expect(problemsOf('*-')).toEqual([expect.stringMatching(/^\(document\): Unresolved alias/)]);
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${`*${'abcdefghi'[i] ?? ''}, `.repeat(10)}]`),
    ];
    expect(problemsOf(bomb.join('\n'))[0]).toMatch(/^\(document\): .*alias/i);
  });

  it('defers an unset variable of the database section when asked: the rest loads, the section is left out with its problem', () => {
    const text = 'worker_id: w1\ndatabase:\n  host: db\n  user: u\n  database: ops\n  password: "${DB_PASSWORD}"\n';
    const { config, unusable } = parseConfigSections(text, {
      source: 'test.yaml',
      env: {},
      baseDir: base,
      defer: ['database'],
    });
    expect(config.worker_id).toBe('w1');
    expect(config.database).toBeUndefined();
    expect(unusable.database?.message).toContain('database.password: environment variable DB_PASSWORD is not set');
    // Elsewhere an unset variable still makes the whole configuration invalid.
    expect(() =>
      parseConfigSections(`${text}watcher:\n  command: \${WATCHER}\n`, {
        source: 'test.yaml',
        env: {},
        baseDir: base,
        defer: ['database'],
      }),
    ).toThrow(/watcher.command: environment variable WATCHER is not set/);
    // Set, the database section is used as usual.
    expect(
      parseConfigSections(text, {
        source: 'test.yaml',
        env: { DB_PASSWORD: 'pw' },
        baseDir: base,
        defer: ['database'],
      }),
    ).toMatchObject({ config: { database: { password: 'pw' } }, unusable: {} });
  });

  it('names an unreadable file', () => {
    expect(() => loadConfig('/nonexistent/supervisor.yaml', {})).toThrow(
      /\/nonexistent\/supervisor.yaml:\n {2}\(file\): cannot read: ENOENT/,
    );
  });
});

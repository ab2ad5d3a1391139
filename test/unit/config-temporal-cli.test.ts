import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { temporalCliFiles } from '../../src/cli/actions/temporal-cli.js';
import { frontendAddress } from '../../src/config/address.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';

const parse = (text: string) =>
  parseConfig(`worker_id: w1\n${text}`, { source: 'test.yaml', env: {}, baseDir: '/srv' });

function problemsOf(text: string): string[] {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('temporal.address: temporal-cli', () => {
  it('is accepted beside embedded and host:port, with the dev server block defaulted', () => {
    const config = parse('temporal:\n  address: temporal-cli\n');
    expect(config.temporal.address).toBe('temporal-cli');
    expect(config.temporal.temporal_cli).toEqual({
      host: '127.0.0.1',
      port: 7233,
      ui_port: 8233,
      db: '/srv/var/temporal-cli.db',
    });
    expect(parse('temporal:\n  address: temporal.example:7233\n').temporal.address).toBe('temporal.example:7233');
  });

  it('is what the commands connect to: the dev server block, the engine block, or the cluster address', () => {
    expect(frontendAddress(parse('temporal:\n  address: temporal-cli\n  temporal_cli:\n    port: 17233\n'))).toBe(
      '127.0.0.1:17233',
    );
    expect(frontendAddress(parse('temporal:\n  embedded:\n    port: 7300\n'))).toBe('127.0.0.1:7300');
    expect(frontendAddress(parse('temporal:\n  address: t.example:7233\n'))).toBe('t.example:7233');
  });

  it('takes its ports, host and data file from temporal.temporal_cli', () => {
    const config = parse(
      'temporal:\n  address: temporal-cli\n  temporal_cli:\n    host: 0.0.0.0\n    port: 17233\n    ui_port: 18233\n    db: ":memory:"\n',
    );
    expect(config.temporal.temporal_cli).toEqual({ host: '0.0.0.0', port: 17233, ui_port: 18233, db: ':memory:' });
  });

  it('validates the block like the embedded one: every bad key by its path', () => {
    const problems = problemsOf(
      'temporal:\n  address: temporal-kli\n  temporal_cli:\n    port: 70000\n    ui_port: web\n    db: ""\n    ui: false\n',
    );
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      [
        'temporal.address',
        'temporal.temporal_cli.port',
        'temporal.temporal_cli.ui_port',
        'temporal.temporal_cli.db',
        'temporal.temporal_cli.ui',
      ].sort(),
    );
    expect(problems).toContain('temporal.address: must be "embedded", "temporal-cli" or host:port');
    expect(problems).toContain('temporal.temporal_cli.ui: unknown key');
  });

  it('keeps the pid and log files beside the data file, under var/ when it is in memory', () => {
    expect(temporalCliFiles({ host: 'h', port: 1, ui_port: 2, db: '/data/t.db' })).toEqual({
      db: '/data/t.db',
      pid: '/data/t.db.pid',
      log: '/data/t.db.log',
    });
    expect(temporalCliFiles({ host: 'h', port: 1, ui_port: 2, db: 'var/temporal-cli.db' }).db).toBe(
      path.resolve('var/temporal-cli.db'),
    );
    expect(temporalCliFiles({ host: 'h', port: 1, ui_port: 2, db: ':memory:' })).toEqual({
      db: undefined,
      pid: path.resolve('var/temporal-cli.pid'),
      log: path.resolve('var/temporal-cli.log'),
    });
  });
});

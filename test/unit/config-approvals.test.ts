import { describe, expect, it } from '@jest/globals';
import { approvalSettings } from '../../src/activities/settings.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { approvalExpiryMs } from '../../src/workflows/handlers/approval.js';

const parse = (text: string, env: Record<string, string> = {}) =>
  parseConfig(`worker_id: w1\n${text}`, { source: 'test.yaml', env, baseDir: '/srv' });

function problemsOf(text: string): string[] {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('approvals configuration', () => {
  it('needs no approval by default', () => {
    const settings = approvalSettings(parse(''));
    expect(settings).toEqual({ expiresMs: {}, deciders: [], allowSelfApproval: false, defaultExpiresMs: 1_800_000 });
    const flag = { task_id: 't1', handler: 'rollback_code', params: { commits_back: 1 } } as const;
    expect(approvalExpiryMs(flag, settings)).toBeNull();
    expect(approvalExpiryMs({ ...flag, require_approval: true }, settings)).toBe(1_800_000);
  });

  it('applies a handler rule only to the workers it lists', () => {
    const text = [
      'approvals:',
      '  handlers:',
      '    rollback_code: { expires: 10m }',
      '    update_code_deps: { expires: 4h, workers: [w2] }',
      '    restart_watcher: {}',
      '  deciders: [alice, "bob@host"]',
      '  allow_self_approval: true',
    ].join('\n');
    expect(approvalSettings(parse(text))).toEqual({
      expiresMs: { rollback_code: 600_000, restart_watcher: 1_800_000 },
      deciders: ['alice', 'bob@host'],
      allowSelfApproval: true,
      defaultExpiresMs: 1_800_000,
    });
    expect(approvalSettings(parse(text.replace('workers: [w2]', 'workers: [w2, w1]'))).expiresMs).toHaveProperty(
      'update_code_deps',
      14_400_000,
    );
  });

  it('names every bad key with its path', () => {
    const problems = problemsOf(
      [
        'approvals:',
        '  handlers:',
        '    reboot_host: {}',
        '    rollback_code: { expires: soon, workers: [] }',
        '  deciders: ["", "x\\u0000y"]',
        '  auto_rollback: maybe',
        'http:',
        '  operator_tokens: { alice: short }',
      ].join('\n'),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^approvals\.handlers\.reboot_host: /),
        expect.stringMatching(/^approvals\.handlers\.rollback_code\.expires: /),
        expect.stringMatching(/^approvals\.handlers\.rollback_code\.workers: must list at least one worker id/),
        expect.stringMatching(/^approvals\.deciders\.0: /),
        expect.stringMatching(/^approvals\.deciders\.1: /),
        expect.stringMatching(/^approvals\.auto_rollback: /),
        'http.operator_tokens.alice: must be at least 16 characters (use a random secret)',
      ]),
    );
  });

  it('takes panel tokens from the environment', () => {
    const config = parse('http:\n  operator_tokens:\n    alice: ${TOKEN_A}\n', { TOKEN_A: 'a'.repeat(32) });
    expect(config.http.operator_tokens).toEqual({ alice: 'a'.repeat(32) });
  });
});

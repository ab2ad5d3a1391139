import { describe, expect, it } from '@jest/globals';
import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDecisionBytes, readDecisionFile } from '../../../src/flags/decision.js';
import type { DecisionParseResult } from '../../../src/flags/decision.js';
import {
  HANDLERS,
  decisionFileName,
  decisionReadingOf,
  flagFileName,
  parseFlagName,
  readingsOf,
  servedWorkerOf,
} from '../../../src/flags/index.js';
import type { FlagParseOptions } from '../../../src/flags/parse.js';
import { signBody } from '../../../src/flags/signature.js';
import { useTempDir } from '../../helpers/tmp.js';

const options: FlagParseOptions = { maxSize: 4096, workerIds: ['W1'], requireSignature: false };
const APPROVE = 'supervisor_approve_W1.flag';
const body = (extra: Record<string, unknown> = {}) => ({ task_id: 'task_1', requested_by: 'alice', ...extra });

function parse(value: unknown, name = APPROVE, opts = options): DecisionParseResult {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return parseDecisionBytes(Buffer.from(text, 'utf8'), name, opts);
}

function problems(value: unknown, name = APPROVE, opts = options): string[] {
  const result = parse(value, name, opts);
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('decision flag names', () => {
  it('reads approve and reject for a worker, underscores in the id included', () => {
    expect(decisionReadingOf(APPROVE)).toEqual({ kind: 'approve', workerId: 'W1' });
    expect(decisionReadingOf('supervisor_reject_host_a.b.flag')).toEqual({ kind: 'reject', workerId: 'host_a.b' });
    expect(decisionFileName('reject', 'W1')).toBe('supervisor_reject_W1.flag');
    expect(decisionReadingOf('supervisor_approve_-bad.flag')).toBeUndefined();
    expect(decisionReadingOf('supervisor_approval_W1.flag')).toBeUndefined();
  });

  it('leaves every handler name as it was: no handler reads as a decision, no decision as a handler', () => {
    for (const handler of HANDLERS) {
      expect(decisionReadingOf(flagFileName(handler, 'W1'))).toBeUndefined();
      expect(parseFlagName(flagFileName(handler, 'W1'))).toEqual({ ok: true, handler, workerId: 'W1' });
    }
    expect(readingsOf(APPROVE)).toEqual([]);
    const parsed = parseFlagName(APPROVE);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(/approval decision/);
    const bad = parseFlagName('supervisor_reject_-x.flag');
    if (!bad.ok) expect(bad.message).toMatch(/worker id "-x"/);
  });

  it('belongs to its worker: served or left for another host', () => {
    expect(servedWorkerOf(APPROVE, ['W1', 'W2'])).toBe('W1');
    expect(servedWorkerOf('supervisor_reject_W2.flag', ['W1'])).toBeUndefined();
  });
});

describe('decision flag bodies', () => {
  it('accepts task_id, requested_by and a comment, with sha256 and the reading', () => {
    const result = parse(body({ comment: 'looks right' }));
    expect(result).toMatchObject({
      ok: true,
      decision: { task_id: 'task_1', requested_by: 'alice', comment: 'looks right' },
      kind: 'approve',
      workerId: 'W1',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      signature: 'absent',
    });
    expect(parse(body(), 'supervisor_reject_W1.flag')).toMatchObject({ ok: true, kind: 'reject' });
  });

  it('lists every problem: missing decider, unknown keys, bad task id, long comment', () => {
    expect(problems({ task_id: '../x', comment: 'x'.repeat(501), handler: 'restart_watcher', extra: 1 })).toEqual(
      expect.arrayContaining([
        'requested_by: is required',
        expect.stringMatching(/^task_id: must be 1-64 characters/),
        'comment: must be at most 500 characters, got 501',
        expect.stringMatching(/^handler: unknown key/),
        expect.stringMatching(/^extra: unknown key/),
      ]),
    );
    expect(problems(body({ requested_by: 'al\u0007ice' }))).toEqual([
      'requested_by: must not contain control characters',
    ]);
    expect(problems([1])).toEqual(['(root): must be a JSON object']);
  });

  it('applies the JSON safety of every flag: empty, duplicate keys, prototype poisoning, size', () => {
    expect(problems('')).toEqual(['(file): is empty']);
    expect(problems('{"task_id":"a","task_id":"b","requested_by":"alice"}')[0]).toMatch(/task_id: is given twice/);
    expect(problems('{"task_id":"a","requested_by":"alice","__proto__":{"x":1}}')).toContain(
      '__proto__: forbidden key (prototype poisoning)',
    );
    expect(problems(body({ comment: 'x'.repeat(5000) }))[0]).toMatch(/over the limit of 4096/);
  });

  it('checks signatures as for any flag', () => {
    const strict: FlagParseOptions = { ...options, requireSignature: true, hmacKey: 'k'.repeat(32) };
    expect(problems(body(), APPROVE, strict)).toEqual(['signature: is required: security.require_signature is on']);
    const signed = { ...body(), signature: signBody(body(), 'k'.repeat(32)) };
    expect(parse(signed, APPROVE, strict)).toMatchObject({ ok: true, signature: 'valid' });
    const altered = { ...signed, requested_by: 'mallory' };
    expect(problems(altered, APPROVE, strict)).toEqual([
      'signature: does not match the flag (wrong key or altered content)',
    ]);
  });

  it("is another host's for a worker not served", () => {
    expect(parse(body(), 'supervisor_approve_W2.flag')).toMatchObject({ ok: false, foreign: true, workerId: 'W2' });
  });
});

describe('reading decision files', () => {
  const tmp = useTempDir('decision-read-');

  it('reads a regular file and refuses a symbolic link without following it', async () => {
    const file = path.join(tmp(), APPROVE);
    await writeFile(file, JSON.stringify(body()));
    expect(await readDecisionFile(file, options)).toMatchObject({ ok: true, kind: 'approve' });
    const target = path.join(tmp(), 'target.json');
    await writeFile(target, JSON.stringify(body()));
    const link = path.join(tmp(), 'supervisor_reject_W1.flag');
    await symlink(target, link);
    const read = await readDecisionFile(link, options);
    expect(read).toMatchObject({ ok: false, workerId: 'W1' });
    if (!read.ok) expect(read.problems[0]?.message).toMatch(/symbolic link/);
  });
});

import { describe, expect, it } from '@jest/globals';
import { parseFlagBytes } from '../../../src/flags/parse.js';
import type { FlagParseOptions } from '../../../src/flags/parse.js';
import { canonicalBody, signBody } from '../../../src/flags/signature.js';

const KEY = 'correct horse';
const NAME = 'supervisor_rollback_code_OrionMX.flag';
const body = { task_id: 'task_20260205_001', handler: 'rollback_code', label: 'AA v1-2', params: { commits_back: 3 } };
// Computed outside Node, with Python's json.dumps(sort_keys=True, separators=(',', ':')) and hmac: see docs/flags.md.
const PYTHON_SIGNATURE = '56a0976f1678b196c62278add7b4f3c2ae23cde7405a9a600343549822901183';

const required: FlagParseOptions = { maxSize: 65_536, workerIds: ['OrionMX'], requireSignature: true, hmacKey: KEY };
const optional: FlagParseOptions = { ...required, requireSignature: false };
const keyless: FlagParseOptions = { maxSize: 65_536, workerIds: ['OrionMX'], requireSignature: false };

function check(value: unknown, options: FlagParseOptions) {
  const result = parseFlagBytes(Buffer.from(JSON.stringify(value)), NAME, options);
  return result.ok
    ? { ok: true, signature: result.signature }
    : { ok: false, problems: result.problems.map((p) => `${p.path}: ${p.message}`) };
}

describe('canonical body', () => {
  it('drops signature, sorts keys at every depth, keeps array order, no whitespace', () => {
    expect(canonicalBody({ signature: 'x', b: 1, a: { d: 2, c: [{ f: 1, e: 2 }, 'z'] } })).toBe(
      '{"a":{"c":[{"e":2,"f":1},"z"],"d":2},"b":1}',
    );
  });

  it('gives the same HMAC as an independent Python implementation', () => {
    expect(canonicalBody(body)).toBe(
      '{"handler":"rollback_code","label":"AA v1-2","params":{"commits_back":3},"task_id":"task_20260205_001"}',
    );
    expect(signBody(body, KEY)).toBe(PYTHON_SIGNATURE);
  });
});

describe('signature policy', () => {
  const signed = { ...body, signature: PYTHON_SIGNATURE };

  it('accepts a correct signature whatever the key order in the file, upper-case hex too', () => {
    expect(
      check(
        {
          signature: PYTHON_SIGNATURE,
          params: { commits_back: 3 },
          label: 'AA v1-2',
          handler: 'rollback_code',
          task_id: 'task_20260205_001',
        },
        required,
      ),
    ).toEqual({ ok: true, signature: 'valid' });
    expect(check({ ...body, signature: PYTHON_SIGNATURE.toUpperCase() }, required)).toEqual({
      ok: true,
      signature: 'valid',
    });
  });

  it('refuses an unsigned flag when signatures are required', () => {
    expect(check(body, required)).toEqual({
      ok: false,
      problems: ['signature: is required: security.require_signature is on'],
    });
  });

  it('refuses a wrong signature, an altered body and a wrong key', () => {
    const wrong = { ok: false, problems: ['signature: does not match the flag (wrong key or altered content)'] };
    expect(check({ ...body, signature: '0'.repeat(64) }, required)).toEqual(wrong);
    expect(check({ ...signed, params: { commits_back: 4 } }, required)).toEqual(wrong);
    expect(check(signed, { ...required, hmacKey: 'another key' })).toEqual(wrong);
  });

  it('covers what was written, not defaults: omitting commits_back changes the signature', () => {
    const bare = { task_id: 't1', handler: 'rollback_code' };
    expect(check({ ...bare, signature: signBody(bare, KEY) }, required)).toEqual({ ok: true, signature: 'valid' });
    expect(check({ ...bare, signature: signBody({ ...bare, params: { commits_back: 1 } }, KEY) }, required).ok).toBe(
      false,
    );
  });

  it('with a key but not required: unsigned passes, a wrong signature is still refused', () => {
    expect(check(body, optional)).toEqual({ ok: true, signature: 'absent' });
    expect(check({ ...body, signature: 'f'.repeat(64) }, optional)).toEqual({
      ok: false,
      problems: ['signature: does not match the flag (wrong key or altered content)'],
    });
  });

  it('without a key a signature cannot be checked and is reported as unchecked', () => {
    expect(check(signed, keyless)).toEqual({ ok: true, signature: 'unchecked' });
  });

  it('a malformed signature is one schema problem, not a crash', () => {
    expect(check({ ...body, signature: 'abc' }, required)).toEqual({
      ok: false,
      problems: ['signature: must be 64 hex digits (HMAC-SHA256)'],
    });
    expect(check({ ...body, signature: 42 }, optional)).toEqual({
      ok: false,
      problems: ['signature: must be a string'],
    });
  });
});

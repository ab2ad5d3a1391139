/** Properties of the flag parser, the signature check and the flag writer (`supervisor flag` writes with writeFlag). */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HANDLERS, flagFileName } from '../../../src/flags/index.js';
import { parseFlagBytes, readFlagFile } from '../../../src/flags/parse.js';
import type { FlagInput } from '../../../src/flags/schema.js';
import { checkSignature, signBody } from '../../../src/flags/signature.js';
import { writeFlag } from '../../../src/flags/write.js';
import { hostileJson, usePropertySeed } from '../../helpers/property.js';

usePropertySeed('flags');

const WORKER = 'OrionMX';
const options = { maxSize: 65_536, workerIds: [WORKER], requireSignature: false };
const signed = { ...options, requireSignature: true, hmacKey: 'a-key-of-some-length' };

/** A result is either a flag or a list of named problems: never a throw, never an empty refusal. */
function wellFormed(result: ReturnType<typeof parseFlagBytes>): boolean {
  if (result.ok) return true;
  return (
    result.problems.length > 0 &&
    result.problems.every((p) => typeof p.path === 'string' && typeof p.message === 'string' && p.message !== '')
  );
}

const fileNames = fc.oneof(
  fc.constantFrom(...HANDLERS).map((handler) => flagFileName(handler, WORKER)),
  fc.string({ maxLength: 80 }),
);

const taskIds = fc
  .stringMatching(/^[A-Za-z0-9_.-]{1,64}$/)
  .filter((id) => id !== '.' && id !== '..' && !id.startsWith('-'));
const labels = fc.option(fc.stringMatching(/^([A-Za-z0-9 _][A-Za-z0-9 _-]{0,99})?$/), { nil: undefined });
const validFlags: fc.Arbitrary<FlagInput> = fc.oneof(
  fc.record({
    task_id: taskIds,
    handler: fc.constant('rollback_code' as const),
    label: labels,
    params: fc.record({ commits_back: fc.integer({ min: 1, max: 10 }) }),
  }),
  fc.record({
    task_id: taskIds,
    handler: fc.constantFrom(...HANDLERS.filter((h) => h !== 'rollback_code')),
    label: labels,
  }) as fc.Arbitrary<FlagInput>,
);

describe('flag parser properties', () => {
  it('any bytes under any name: a flag or named problems, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fileNames, (bytes, name) =>
        wellFormed(parseFlagBytes(Buffer.from(bytes), name, options)),
      ),
    );
  });

  it('any JSON, hostile keys at every level: a flag or named problems, and a refused body is never a flag', () => {
    fc.assert(
      fc.property(hostileJson(), fc.constantFrom(...HANDLERS), (body, handler) => {
        const result = parseFlagBytes(
          Buffer.from(JSON.stringify(body) ?? 'null'),
          flagFileName(handler, WORKER),
          options,
        );
        if (!wellFormed(result)) return false;
        // Anything accepted carries the handler its name says, and no prototype keys survive.
        return !result.ok || (result.flag.handler === handler && !Object.hasOwn(result.flag, '__proto__'));
      }),
    );
  });

  it('a valid flag plus one unknown key, or with a wrong-typed field, is refused with that key named', () => {
    fc.assert(
      fc.property(
        validFlags,
        fc.stringMatching(/^[a-z_]{1,12}$/),
        fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())),
        (flag, key, wrong) => {
          const name = flagFileName(flag.handler, WORKER);
          const known = ['task_id', 'handler', 'label', 'params', 'requested_by', 'signature', 'require_approval'];
          const extra = known.includes(key) ? `x_${key}` : key;
          const withExtra = parseFlagBytes(Buffer.from(JSON.stringify({ ...flag, [extra]: 1 })), name, options);
          const badTask = parseFlagBytes(Buffer.from(JSON.stringify({ ...flag, task_id: wrong })), name, options);
          return (
            !withExtra.ok &&
            withExtra.problems.some((p) => p.message.includes(extra) || p.path.includes(extra)) &&
            !badTask.ok &&
            badTask.problems.some((p) => p.path === 'task_id')
          );
        },
      ),
    );
  });

  it('a valid flag round-trips through writeFlag (what `supervisor flag` runs) and the ingest parser', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prop-flag-'));
    try {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(validFlags, fc.boolean(), async (flag, sign) => {
          const inbox = path.join(dir, String((n += 1)));
          await mkdir(inbox);
          const file = await writeFlag(inbox, flag, {
            workerId: WORKER,
            maxSize: options.maxSize,
            ...(sign ? { hmacKey: signed.hmacKey } : {}),
          });
          const read = await readFlagFile(file, sign ? signed : options);
          const expected = flag.handler === 'rollback_code' ? flag : { ...flag, params: {} };
          const withoutUndefined = JSON.parse(JSON.stringify(expected)) as unknown;
          expect(read.ok).toBe(true);
          if (!read.ok) return;
          const { signature, ...body } = read.flag;
          expect(body).toEqual(withoutUndefined);
          expect(signature !== undefined).toBe(sign);
          expect(read.signature).toBe(sign ? 'valid' : 'absent');
        }),
        { numRuns: 100 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('signature properties', () => {
  const bodies = fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue(), { maxKeys: 6 });
  const keys = fc.string({ minLength: 1, maxLength: 40 });

  it('a body signed with the key checks valid; with another key, or any field changed, invalid', () => {
    fc.assert(
      fc.property(bodies, keys, keys, fc.string({ minLength: 1, maxLength: 10 }), (raw, key, other, field) => {
        const body = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
        delete body.signature;
        const signature = signBody(body, key);
        const policy = { requireSignature: true, hmacKey: key };
        if (checkSignature({ ...body, signature }, policy).state !== 'valid') return false;
        if (other !== key && checkSignature({ ...body, signature }, { ...policy, hmacKey: other }).state !== 'invalid')
          return false;
        const changed = field === 'signature' ? { ...body } : { ...body, [field]: [body[field], 'x'] };
        return field === 'signature' || checkSignature({ ...changed, signature }, policy).state === 'invalid';
      }),
    );
  });

  it('whatever is in the signature field, an unsigned-by-us body never checks valid', () => {
    fc.assert(
      fc.property(
        bodies,
        keys,
        fc.oneof(fc.jsonValue(), fc.stringMatching(/^[0-9a-fA-F]{64}$/)),
        (body, key, given) => {
          const state = checkSignature({ ...body, signature: given }, { requireSignature: true, hmacKey: key }).state;
          const forged = typeof given === 'string' && given.toLowerCase() === signBody(body, key);
          return forged || state === 'invalid';
        },
      ),
    );
  });
});

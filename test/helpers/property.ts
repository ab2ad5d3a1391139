/**
 * fast-check for the property tests: one seed per file, printed, so a failure replays with
 * `PROPERTY_SEED=<seed> npm test -- <file>` (fast-check also prints the seed and path of a counterexample).
 */
import fc from 'fast-check';

export function usePropertySeed(file: string): number {
  const given = process.env.PROPERTY_SEED;
  const seed = given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
  fc.configureGlobal({ seed, numRuns: Number(process.env.PROPERTY_RUNS ?? 300) });
  process.stdout.write(`${file}: PROPERTY_SEED=${String(seed)}\n`);
  return seed;
}

/** JSON-ish values with the keys an attacker would try at every level mixed in. */
export const hostileJson = (): fc.Arbitrary<unknown> =>
  fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.jsonValue(),
      fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        '--upload-pack=touch /tmp/x',
        '$(id)',
        '../..',
        '\u0000',
      ),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(
        fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'handler', 'task_id', 'params')),
        tie('value'),
        { maxKeys: 5 },
      ),
    ),
  })).value;

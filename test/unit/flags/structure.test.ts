import { describe, expect, it } from '@jest/globals';
import { parseFlagBytes } from '../../../src/flags/parse.js';
import type { FlagParseOptions } from '../../../src/flags/parse.js';
import { canonicalBody, signBody } from '../../../src/flags/signature.js';
import { MAX_DEPTH, checkStructure } from '../../../src/flags/structure.js';

const options: FlagParseOptions = { maxSize: 65_536, workerIds: ['OrionMX'], requireSignature: false };
const NAME = 'supervisor_rollback_code_OrionMX.flag';

function problems(text: string, opts = options): string[] {
  const result = parseFlagBytes(Buffer.from(text, 'utf8'), NAME, opts);
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

/** `{"a":{"a":…{}…}}` with `depth` objects in all. */
function nested(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
}

describe('nesting depth', () => {
  it('refuses 20 KB of nested objects with "too deeply nested" instead of overflowing the stack', () => {
    const deep = `{"task_id":"t1","handler":"rollback_code","params":${nested(4_000)}}`;
    expect(deep.length).toBeGreaterThan(20_000);
    expect(problems(deep)).toEqual([expect.stringMatching(/^\(file\): is too deeply nested: more than 32 levels/)]);
    // Arrays count too, and a huge depth (far past any stack) is refused the same way.
    expect(problems(`${'['.repeat(30_000)}${']'.repeat(30_000)}`)).toEqual([
      expect.stringMatching(/too deeply nested/),
    ]);
  });

  it('takes exactly MAX_DEPTH levels and refuses one more', () => {
    expect(checkStructure(nested(MAX_DEPTH)).tooDeep).toBeUndefined();
    expect(checkStructure(nested(MAX_DEPTH + 1)).tooDeep?.message).toMatch(/too deeply nested/);
    // Brackets inside strings are text, not nesting.
    expect(checkStructure(JSON.stringify({ label: '{'.repeat(100) })).tooDeep).toBeUndefined();
  });
});

describe('duplicate keys', () => {
  it('refuses commits_back given twice, naming the key and its path (JSON.parse would run the last)', () => {
    const text = '{"task_id":"t1","handler":"rollback_code","params":{"commits_back":11,"commits_back":1}}';
    expect(problems(text)).toEqual([
      'params.commits_back: is given twice (duplicate key: JSON would silently keep only the last)',
    ]);
  });

  it('finds duplicates at the top level, deep down, in arrays, and through escapes', () => {
    expect(
      checkStructure('{"a":1,"b":{"c":[{"x":1},{"y":{"z":1,"z":2}}]},"a":2}').duplicates.map((p) => p.path),
    ).toEqual(['b.c.1.y.z', 'a']);
    expect(checkStructure('{"handler":1,"h\\u0061ndler":2}').duplicates.map((p) => p.path)).toEqual(['handler']);
    // The same key in sibling objects is not a duplicate; neither is a value equal to a key.
    expect(checkStructure('{"a":{"k":1},"b":{"k":"a"},"c":[{"k":1},{"k":2}]}').duplicates).toEqual([]);
  });

  it('leaves syntax errors to JSON.parse, which names them', () => {
    expect(problems('{"task_id": "x", handler')).toEqual([expect.stringMatching(/^\(file\): is not JSON/)]);
    expect(problems('{"task_id": "unterminated')).toEqual([expect.stringMatching(/^\(file\): is not JSON/)]);
  });
});

describe('task ids that cannot name a file', () => {
  it.each(['.', '..'])('refuses task_id %j', (id) => {
    expect(problems(JSON.stringify({ task_id: id, handler: 'rollback_code' }))).toEqual([
      expect.stringMatching(/^task_id: must not be "\." or "\.\."/),
    ]);
  });

  it.each(['a/b', '../x', 'a b', 'x'.repeat(65), '', 'caf\u00e9'])('refuses task_id %j', (id) => {
    expect(problems(JSON.stringify({ task_id: id, handler: 'rollback_code' }))).toEqual([
      expect.stringMatching(/^task_id: /),
    ]);
  });

  it('still takes dots inside a task id', () => {
    expect(problems(JSON.stringify({ task_id: '...a.b', handler: 'rollback_code' }))).toEqual([]);
  });
});

describe('canonical body of a deep value', () => {
  it('serialises 100,000 levels without overflowing and matches JSON.stringify of a sorted copy', () => {
    let deep: unknown = { z: [1, 'x', null, true], a: {} };
    for (let i = 0; i < 100_000; i += 1) deep = i % 2 === 0 ? { b: deep, a: i } : [deep, i];
    const text = canonicalBody({ signature: 'dropped', v: deep });
    expect(text.startsWith('{"v":[{"a":99998,"b":[')).toBe(true);
    expect(text.endsWith(',99999]}')).toBe(true);
    expect(text).toContain('[{"a":0,"b":{"a":{},"z":[1,"x",null,true]}},1]');
    expect(signBody({ v: deep }, 'k')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes what JSON.stringify writes for plain values, with sorted keys', () => {
    const value = {
      s: 'q"\\\u2028',
      n: -1.5e-7,
      e: [],
      o: {},
      u: undefined,
      list: [undefined, 0, false],
      k: { y: 1, x: 2 },
    };
    expect(canonicalBody(value)).toBe(
      '{"e":[],"k":{"x":2,"y":1},"list":[null,0,false],"n":-1.5e-7,"o":{},"s":"q\\"\\\\\u2028"}',
    );
    expect(JSON.parse(canonicalBody(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });
});

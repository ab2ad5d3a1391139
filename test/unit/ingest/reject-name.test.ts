import { describe, expect, it } from '@jest/globals';
import { rejectedName } from '../../../src/ingest/reject.js';

describe('rejected/ names', () => {
  it('keeps a normal name, numbers a second one', () => {
    expect(rejectedName('supervisor_verify_db_W1.flag', 1)).toBe('supervisor_verify_db_W1.flag');
    expect(rejectedName('supervisor_verify_db_W1.flag', 2)).toBe('supervisor_verify_db_W1~2.flag');
  });

  it('cuts a name too long for its error file, distinct per name and per number, on whole characters', () => {
    const long = `${'x'.repeat(240)}.flag`;
    const other = `${'x'.repeat(239)}y.flag`;
    const names = [rejectedName(long, 1), rejectedName(long, 2), rejectedName(other, 1)];
    for (const name of names) {
      expect(Buffer.byteLength(`${name}.error.json`)).toBeLessThanOrEqual(255);
      expect(name).toMatch(/^x+~[0-9a-f]{12}\.flag$/);
    }
    expect(new Set(names).size).toBe(3);
    const wide = rejectedName(`${'é'.repeat(120)}.flag`, 1);
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(200);
    expect(wide).toMatch(/^é+~[0-9a-f]{12}\.flag$/);
  });
});

import { describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
describe('smoke', () => {
  it('loads the SDK', () => {
    expect(typeof Client).toBe('function');
    expect(typeof Connection.connect).toBe('function');
  });
});

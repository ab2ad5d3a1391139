import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { BUILT_IN_DEFAULTS } from '../../src/config/schema.js';

const base = '/srv/supervisor';
const parse = (text: string) => parseConfig(text, { source: 'test.yaml', env: {}, baseDir: base });

describe('repo section', () => {
  it("names no checkout unless the file does: never the supervisor's own", () => {
    expect(parse('worker_id: w1').repo).toMatchObject({
      dir: undefined,
      sample: false,
      dirty: 'refuse',
      remote: 'origin',
      branch: 'main',
    });
    expect(parse('worker_id: w1\nrepo:\n  dir: ../app\n  dirty: stash\n').repo).toMatchObject({
      dir: '/srv/app',
      dirty: 'stash',
    });
  });

  it('the built-in defaults use a sample checkout under var/', () => {
    expect(parse(BUILT_IN_DEFAULTS).repo).toMatchObject({
      dir: `${base}/var/sample-repo`,
      sample: true,
      dirty: 'refuse',
    });
  });

  it('refuses an unknown dirty policy, naming the key', () => {
    const error = (() => {
      try {
        return parse('worker_id: w1\nrepo:\n  dirty: discard\n');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.objectContaining({ path: 'repo.dirty' })]);
  });
});

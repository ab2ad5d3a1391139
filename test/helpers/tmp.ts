import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  cleanup: () => Promise<void>;
}

/** A fresh directory under the OS temp dir; `cleanup()` is safe to call twice. */
export async function makeTempDir(prefix = 'ts-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  // maxRetries: a child process may still be closing files in it when a test ends.
  const cleanup = (): Promise<void> => rm(path, { recursive: true, force: true, maxRetries: 5 });
  return { path, cleanup };
}

/**
 * Jest hook pair: a new temp dir before each test, removed after it.
 * Returns a getter because the path only exists once `beforeEach` ran. Uses jest's injected globals
 * rather than importing @jest/globals, so this module (and mariadb.ts) also load outside jest, e.g. in bench/.
 */
export function useTempDir(prefix = 'ts-test-'): () => string {
  let current: TempDir | undefined;
  beforeEach(async () => {
    current = await makeTempDir(prefix);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useTempDir(): the temp dir is only available inside a test');
    return current.path;
  };
}

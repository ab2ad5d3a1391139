/**
 * The jest lifecycle of the handler harness, apart from supervisor-env.ts: worker processes spawned by the
 * tests import that module outside jest, where @jest/globals cannot load.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { isolateGitEnv } from './git.js';
import { startSupervisorEnv } from './supervisor-env.js';
import type { SupervisorEnv } from './supervisor-env.js';

/** For files whose runs are checked otherwise, or not replayable (a worker killed on purpose). */
export const NO_REPLAY = (): Promise<void> => Promise.resolve();

/**
 * One engine and workflow bundle per test file (STYLE 18): started before the file's first test (git
 * isolated from the host's config), checked by `check` after the last (default: every handler and lock
 * history replays) and stopped. The object returned stands for the started env from beforeAll on.
 */
export function useSupervisorEnv(check: (env: SupervisorEnv) => Promise<unknown> = (env) => env.replayAll()): SupervisorEnv {
  let started: SupervisorEnv | undefined;
  beforeAll(async () => {
    isolateGitEnv();
    started = await startSupervisorEnv();
  });
  afterAll(async () => {
    if (started === undefined) return;
    try {
      await check(started);
    } finally {
      await started.teardown();
    }
  });
  return new Proxy({} as SupervisorEnv, {
    get(_target, key) {
      if (started === undefined) throw new Error('useSupervisorEnv: the engine starts in beforeAll');
      return Reflect.get(started, key) as unknown;
    },
  });
}

/**
 * The jest lifecycle of the handler harness, apart from supervisor-env.ts: worker processes spawned by the
 * tests import that module outside jest, where @jest/globals cannot load.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { isolateGitEnv } from './git.js';
import { lateBound } from './late-bound.js';
import { startMariaDb } from './mariadb.js';
import type { MariaDbHarness } from './mariadb.js';
import { startSupervisorEnv } from './supervisor-env.js';
import type { SupervisorEnv } from './supervisor-env.js';

/** For files whose runs are checked otherwise, or not replayable (a worker killed on purpose). */
export const NO_REPLAY = (): Promise<void> => Promise.resolve();

type Check = (env: SupervisorEnv) => Promise<unknown>;
const replayAll: Check = (env) => env.replayAll();

/** Starts what `start` makes before the file's first test (git isolated from the host's config), stops it after the last. */
function perFile<T>(start: () => Promise<T>, stop: (started: T) => Promise<void>): () => T | undefined {
  let started: T | undefined;
  beforeAll(async () => {
    isolateGitEnv();
    started = await start();
  });
  afterAll(async () => {
    if (started !== undefined) await stop(started);
  });
  return () => started;
}

async function checkAndTeardown(env: SupervisorEnv, check: Check): Promise<void> {
  try {
    await check(env);
  } finally {
    await env.teardown();
  }
}

/**
 * One engine and workflow bundle per test file (STYLE 18): started before the file's first test, checked
 * by `check` after the last (default: every handler and lock history replays) and stopped. The object
 * returned stands for the started env from beforeAll on.
 */
export function useSupervisorEnv(check: Check = replayAll): SupervisorEnv {
  const current = perFile(startSupervisorEnv, (env) => checkAndTeardown(env, check));
  return lateBound('useSupervisorEnv: the engine', current);
}

/** useSupervisorEnv with a MariaDB server of the file's own (one `database`), started side by side. */
export function useSupervisorEnvWithDb(
  database: string,
  check: Check = replayAll,
): { env: SupervisorEnv; db: MariaDbHarness } {
  const current = perFile(
    async () => {
      const [env, db] = await Promise.all([startSupervisorEnv(), startMariaDb({ database })]);
      return { env, db };
    },
    async ({ env, db }) => {
      try {
        await checkAndTeardown(env, check);
      } finally {
        await db.stop();
      }
    },
  );
  return {
    env: lateBound('useSupervisorEnvWithDb: the engine', () => current()?.env),
    db: lateBound('useSupervisorEnvWithDb: MariaDB', () => current()?.db),
  };
}

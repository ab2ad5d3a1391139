/**
 * The lifecycle of the code-handler tests: one engine per file; per test a fresh NAS, git fixture,
 * worker and a running watcher started the way the supervisor starts it.
 */
import path from 'node:path';
import { afterEach, expect } from '@jest/globals';
import type { Config } from '../../../src/config/schema.js';
import type { HandlerResult } from '../../../src/contract/handlers.js';
import type { GitFixture } from '../../helpers/git.js';
import { makeGitFixture } from '../../helpers/git.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import type { RunningWorker, StartWorkerOptions, SupervisorEnv } from '../../helpers/supervisor-env.js';
import { readResultFile } from '../../helpers/supervisor-env.js';
import { activitiesFor } from '../../helpers/activities.js';
import { useSupervisorEnv } from '../../helpers/use-supervisor-env.js';
import { killSeen, ndjsonAudit, seenPids, waitForBeat } from './support.js';

export interface SetUpOptions {
  deps?: { command: string; args: string[] };
  /** `repo` keys as written in YAML (dirty: stash, …); `dir: null` removes repo.dir. */
  repo?: Record<string, unknown>;
  worker?: StartWorkerOptions;
}

export interface CodeEnv {
  env: () => SupervisorEnv;
  repo: () => GitFixture;
  config: () => Config;
  temp: () => TempDir;
  /** Fresh NAS, repository, worker and running watcher; returns the watcher's pid. */
  setUp: (options?: SetUpOptions) => Promise<number>;
  task: (prefix: string) => string;
  expectReported: (taskId: string, handler: string, label: string, result: HandlerResult) => Promise<void>;
}

export function useCodeEnv(): CodeEnv {
  const env = useSupervisorEnv();
  let temp: TempDir | undefined;
  let repo: GitFixture;
  let config: Config;
  let worker: RunningWorker | undefined;
  let n = 0;

  afterEach(async () => {
    await worker?.stop();
    killSeen();
    await temp?.cleanup();
  });

  async function setUp(options: SetUpOptions = {}): Promise<number> {
    temp = await makeTempDir('ts-handlers-code-');
    repo = await makeGitFixture(temp.path);
    config = env.config(path.join(temp.path, 'nas'), { repoDir: repo.work });
    if (options.deps !== undefined)
      config = { ...config, repo: { ...config.repo, deps_install: { ...config.repo.deps_install, ...options.deps } } };
    if (options.repo !== undefined) {
      const { dir, ...rest } = options.repo;
      config = {
        ...config,
        repo: {
          ...config.repo,
          ...rest,
          dir: dir === null ? undefined : ((dir as string | undefined) ?? config.repo.dir),
        },
      } as Config;
    }
    worker = await env.startWorker(config, options.worker);
    const acts = activitiesFor(config);
    const { pid } = await acts.startWatcher();
    seenPids.add(pid);
    await waitForBeat(config, pid);
    return pid;
  }

  async function expectReported(taskId: string, handler: string, label: string, result: HandlerResult): Promise<void> {
    const file = await readResultFile(config, taskId);
    expect(file).toMatchObject({
      task_id: taskId,
      handler,
      label,
      worker_id: config.worker_id,
      success: result.success,
      requested_by: 'ops',
    });
    const audit = (await ndjsonAudit(config)).filter((row) => row.task_id === taskId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      handler,
      label,
      success: result.success,
      actor: 'ops',
      worker_id: config.worker_id,
    });
  }

  return {
    env: () => env,
    repo: () => repo,
    config: () => config,
    temp: () => temp as TempDir,
    setUp,
    task: (prefix) => `${prefix}_${++n}`,
    expectReported,
  };
}

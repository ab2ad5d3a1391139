import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from '@jest/globals';
import type { Client } from '@temporalio/client';
import type { Config } from '../../../src/config/schema.js';
import { ensureKeepAlive } from '../../../src/supervision/keep-alive.js';
import type { KeepAliveState, KeepAliveTuning } from '../../../src/contract/supervision.js';
import { keepAliveStateQuery } from '../../../src/contract/supervision.js';
import { healthScheduleId, keepAliveWorkflowId } from '../../../src/contract/ids.js';
import { activitiesFor } from '../../helpers/activities.js';
import type {
  EnvConfigOptions,
  RunningWorker,
  StartWorkerOptions,
  SupervisorEnv,
} from '../../helpers/supervisor-env.js';
import { waitFor } from '../../helpers/process.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { useSupervisorEnv } from '../../helpers/use-supervisor-env.js';
import { killSeen, seenPids, waitForBeat, watcherPid } from '../handlers/support.js';

export const CRASHING_WATCHER = fileURLToPath(new URL('./bin/crashing-watcher.mjs', import.meta.url));

/** Short keep-alive timings: a dead worker's watch times out in 1.5 s, the watcher is looked at every 50 ms. */
export const FAST_KEEPALIVE: Partial<KeepAliveTuning> = {
  pollMs: 50,
  watchHeartbeatTimeoutMs: 1_500,
  killWaitMs: 3_000,
  maxWatchMs: 30_000,
};

/** Budget 3 in a minute, backoff 50 ms doubling to 200 ms. */
export const FAST_HEALTH = {
  health: {
    interval: '1s',
    restart_budget: { max_restarts: 3, window: '1m' },
    backoff: { initial: '50ms', max: '200ms', reset_after: '30s' },
  },
};

/**
 * The hang timeout of the tests about hangs: short, yet long enough for a replacement's first heartbeat on a
 * machine kept busy by the CPU hog (1 s called replacements hung there, and spent the restart budget).
 */
export const HANG_TEST_TIMEOUT = '3';

/** The product's 30 s hang timeout unless `hangTimeout` says otherwise (see HANG_TEST_TIMEOUT). */
export function healthConfig(
  env: SupervisorEnv,
  dir: string,
  options: EnvConfigOptions & { hangTimeout?: string } = {},
): Config {
  const base = env.config(dir, { ...options, extra: { ...FAST_HEALTH, ...options.extra } });
  const hangTimeoutMs = Number.parseFloat(options.hangTimeout ?? '30') * 1000;
  return { ...base, watcher: { ...base.watcher, hang_timeout: hangTimeoutMs } };
}

/** The crashing watcher as the configured command; it behaves once `healthyFile` exists. */
export function crashingConfig(
  env: SupervisorEnv,
  dir: string,
  crashAfterMs = 400,
): { config: Config; healthyFile: string } {
  const base = healthConfig(env, dir);
  const healthyFile = path.join(dir, 'healthy');
  const args = [
    CRASHING_WATCHER,
    base.watcher.heartbeat_file,
    `--crash-after-ms=${crashAfterMs}`,
    `--healthy-file=${healthyFile}`,
  ];
  return { config: { ...base, watcher: { ...base.watcher, args } }, healthyFile };
}

export async function startKeepAlive(client: Client, config: Config, overrides: Partial<KeepAliveTuning> = {}) {
  await ensureKeepAlive(client, config, { ...FAST_KEEPALIVE, ...overrides });
  return client.workflow.getHandle(keepAliveWorkflowId(config.worker_id));
}

export const keepAliveOf = (client: Client, config: Config): Promise<KeepAliveState> =>
  client.workflow.getHandle(keepAliveWorkflowId(config.worker_id)).query(keepAliveStateQuery);

export async function waitForKeepAlive(
  client: Client,
  config: Config,
  what: string,
  check: (state: KeepAliveState) => boolean,
  timeoutMs = 15_000,
): Promise<KeepAliveState> {
  return waitFor(
    what,
    async () => {
      const state = await keepAliveOf(client, config).catch(() => undefined);
      return state !== undefined && check(state) ? state : undefined;
    },
    timeoutMs,
    50,
  );
}

/** Replays every keep-alive run (continue-as-new successors too) of these workers against the bundle. */
export async function replayKeepAlives(env: SupervisorEnv, workerIds: string[]): Promise<number> {
  const { Worker } = await import('@temporalio/worker');
  const { collectRunHistories } = await import('../../devserver/histories.js');
  const histories = await collectRunHistories(
    env.client,
    workerIds.map((id) => ({ workflowId: keepAliveWorkflowId(id) })),
  );
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: env.bundle, replayName: 'keepalive' },
    histories,
  )) {
    if (result.error) failures.push(`${result.workflowId}/${result.runId}: ${String(result.error)}`);
  }
  if (failures.length > 0) throw new Error(`keep-alive histories failed to replay:\n${failures.join('\n')}`);
  return histories.length;
}

export interface HealthCases {
  /** Worker ids of every config made so far: the keep-alive runs to replay. */
  readonly workerIds: readonly string[];
  /** A temp NAS for this test (removed after it) and its health config. */
  configure(prefix: string, options?: EnvConfigOptions & { hangTimeout?: string }): Promise<Config>;
  /** The crashing watcher's config on a temp NAS of this test, as crashingConfig. */
  configureCrashing(prefix: string, crashAfterMs?: number): Promise<{ config: Config; healthyFile: string }>;
  /** A supervisor worker for `config`, stopped after the test (or by stopWorkers). */
  startWorker(config: Config, options?: StartWorkerOptions): Promise<RunningWorker>;
  stopWorkers(): Promise<void>;
  /** Worker and keep-alive running, the watcher started outside the keep-alive and beating. Returns its pid. */
  watching(config: Config): Promise<number>;
  /** A running watcher other than `old` that has written its first heartbeat. */
  replacementOf(config: Config, old: number, timeoutMs?: number): Promise<number>;
}

/**
 * The per-test half of a health test file: after each test its workers are stopped, its health
 * schedules deleted, its watchers killed and its temp NAS removed.
 */
export function useHealthCases(env: SupervisorEnv): HealthCases {
  const workerIds: string[] = [];
  let fresh: string[] = [];
  const temps: TempDir[] = [];
  const workers: RunningWorker[] = [];
  const stopWorkers = async (): Promise<void> => {
    for (const worker of workers.splice(0)) await worker.stop();
  };
  afterEach(async () => {
    await stopWorkers();
    for (const id of fresh)
      await env.client.schedule
        .getHandle(healthScheduleId(id))
        .delete()
        .catch(() => undefined);
    fresh = [];
    killSeen();
    for (const temp of temps.splice(0)) await temp.cleanup();
  });
  async function tempDir(prefix: string): Promise<string> {
    const temp = await makeTempDir(prefix);
    temps.push(temp);
    return temp.path;
  }
  const track = (config: Config): Config => {
    workerIds.push(config.worker_id);
    fresh.push(config.worker_id);
    return config;
  };
  async function startWorker(config: Config, options?: StartWorkerOptions): Promise<RunningWorker> {
    const worker = await env.startWorker(config, options);
    workers.push(worker);
    return worker;
  }
  return {
    workerIds,
    configure: async (prefix, options = {}) => track(healthConfig(env, await tempDir(prefix), options)),
    async configureCrashing(prefix, crashAfterMs) {
      const crashing = crashingConfig(env, await tempDir(prefix), crashAfterMs);
      track(crashing.config);
      return crashing;
    },
    startWorker,
    stopWorkers,
    async watching(config) {
      await startWorker(config);
      const { pid } = await activitiesFor(config).startWatcher();
      seenPids.add(pid);
      await waitForBeat(config, pid);
      await startKeepAlive(env.client, config);
      await waitForKeepAlive(env.client, config, 'keep-alive watching', (state) => state.state === 'running');
      return pid;
    },
    async replacementOf(config, old, timeoutMs = 20_000) {
      const pid = await waitFor(
        'a new watcher',
        async () => {
          const current = await watcherPid(config);
          return current !== undefined && current !== old ? current : undefined;
        },
        timeoutMs,
      );
      seenPids.add(pid);
      await waitForBeat(config, pid);
      return pid;
    },
  };
}

/** useSupervisorEnv whose check replays every keep-alive run the file produced, with useHealthCases. */
export function useKeepAliveEnv(): HealthCases & { env: SupervisorEnv } {
  const env = useSupervisorEnv(async (started) =>
    expect(await replayKeepAlives(started, [...cases.workerIds])).toBeGreaterThanOrEqual(cases.workerIds.length),
  );
  const cases = useHealthCases(env);
  return { env, ...cases };
}

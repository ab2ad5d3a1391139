import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { Config } from '../../../src/config/schema.js';
import { ensureKeepAlive } from '../../../src/supervision/keep-alive.js';
import type { KeepAliveState, KeepAliveTuning } from '../../../src/contract/supervision.js';
import { keepAliveStateQuery } from '../../../src/contract/supervision.js';
import { keepAliveWorkflowId } from '../../../src/contract/ids.js';
import type { EnvConfigOptions, SupervisorEnv } from '../../helpers/supervisor-env.js';
import { waitFor } from '../../helpers/process.js';

export const CRASHING_WATCHER = fileURLToPath(new URL('./bin/crashing-watcher.mjs', import.meta.url));

/** Short keep-alive timings: a dead worker's watch times out in 1.5 s, the watcher is looked at every 50 ms. */
export const FAST_KEEPALIVE: Partial<KeepAliveTuning> = { pollMs: 50, watchHeartbeatTimeoutMs: 1_500, killWaitMs: 3_000, maxWatchMs: 30_000 };

/** Budget 3 in a minute, backoff 50 ms doubling to 200 ms, hang timeout 1 s. */
export const FAST_HEALTH = {
  health: { interval: '1s', restart_budget: { max_restarts: 3, window: '1m' }, backoff: { initial: '50ms', max: '200ms', reset_after: '30s' } },
};

export function healthConfig(env: SupervisorEnv, dir: string, options: EnvConfigOptions & { hangTimeout?: string } = {}): Config {
  const base = env.config(dir, { ...options, extra: { ...FAST_HEALTH, ...options.extra } });
  return { ...base, watcher: { ...base.watcher, hang_timeout: Number.parseFloat(options.hangTimeout ?? '1') * 1000 } };
}

/** The crashing watcher as the configured command; it behaves once `healthyFile` exists. */
export function crashingConfig(env: SupervisorEnv, dir: string, crashAfterMs = 400): { config: Config; healthyFile: string } {
  const base = healthConfig(env, dir);
  const healthyFile = path.join(dir, 'healthy');
  const args = [CRASHING_WATCHER, base.watcher.heartbeat_file, `--crash-after-ms=${crashAfterMs}`, `--healthy-file=${healthyFile}`];
  return { config: { ...base, watcher: { ...base.watcher, args } }, healthyFile };
}

export async function startKeepAlive(client: Client, config: Config, overrides: Partial<KeepAliveTuning> = {}) {
  await ensureKeepAlive(client, config, { ...FAST_KEEPALIVE, ...overrides });
  return client.workflow.getHandle(keepAliveWorkflowId(config.worker_id));
}

export const keepAliveOf = (client: Client, config: Config): Promise<KeepAliveState> =>
  client.workflow.getHandle(keepAliveWorkflowId(config.worker_id)).query(keepAliveStateQuery);

export async function waitForKeepAlive(client: Client, config: Config, what: string, check: (state: KeepAliveState) => boolean, timeoutMs = 15_000): Promise<KeepAliveState> {
  return waitFor(what, async () => {
    const state = await keepAliveOf(client, config).catch(() => undefined);
    return state !== undefined && check(state) ? state : undefined;
  }, timeoutMs, 50);
}

/** Replays every keep-alive run (continue-as-new successors too) of these workers against the bundle. */
export async function replayKeepAlives(env: SupervisorEnv, workerIds: string[]): Promise<number> {
  const { Worker } = await import('@temporalio/worker');
  const { collectRunHistories } = await import('../../devserver/histories.js');
  const histories = await collectRunHistories(env.client, workerIds.map((id) => ({ workflowId: keepAliveWorkflowId(id) })));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: env.bundle, replayName: 'keepalive' }, histories)) {
    if (result.error) failures.push(`${result.workflowId}/${result.runId}: ${String(result.error)}`);
  }
  if (failures.length > 0) throw new Error(`keep-alive histories failed to replay:\n${failures.join('\n')}`);
  return histories.length;
}

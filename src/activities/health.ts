/**
 * The scheduled health check's activities: look (watcher, heartbeat, pause, drain, keep-alive),
 * make sure the keep-alive runs, and record (supervisor heartbeat file, workers_t, audit on change).
 */
import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { upsertWorker } from '../db/workers.js';
import { ensureKeepAlive, keepAliveState } from '../health/keepalive.js';
import type { KeepAliveState } from '../workflows/health-definitions.js';
import { readJsonIfExists, writeJsonAtomic } from './atomic.js';
import type { HeartbeatReport } from './diagnostics.js';
import { readPauseFlag } from './files.js';
import { supervisorHeartbeatPath } from './heartbeat.js';
import type { WatcherStatus } from './process.js';
import type { ObserveInput, WatchResult } from './watch.js';
import type { ResolvedDeps } from './types.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function drainFlagPath(config: Pick<Config, 'paths' | 'worker_id'>): string {
  return path.join(config.paths.state, `supervisor_drain_${config.worker_id}.flag`);
}

export interface HealthObservation {
  /** running/hung/stopped/paused/failed/held: the keep-alive's word when it answers, else what the process shows. */
  watcher_state: string;
  watcher: WatcherStatus;
  heartbeat: HeartbeatReport;
  paused: boolean;
  draining: boolean;
  keepalive: KeepAliveState | null;
  summary: string;
}

/** `00_STATE/supervisor_heartbeat_<workerId>.json`, written atomically by every health run. */
export interface HealthHeartbeatFile {
  worker_id: string;
  time: string;
  success: boolean;
  error: string | null;
  actions_taken: string[];
  watcher_state: string;
  versions: { supervisor: string; node: string };
  hostname: string;
  pid: number;
  status_summary: string;
  details: Record<string, unknown>;
}

export interface HealthRecordInput {
  success: boolean;
  error: string | null;
  actions_taken: string[];
  watcher_state: string;
  summary: string;
  details: Record<string, unknown>;
}

const exists = (file: string) => access(file).then(() => true, () => false);

function stateOf(watcher: WatcherStatus, paused: boolean, keepalive: KeepAliveState | null, hung: boolean): string {
  if (keepalive !== null && (keepalive.state === 'failed' || keepalive.state === 'held')) return keepalive.state;
  if (watcher.running) return hung ? 'hung' : 'running';
  return paused ? 'paused' : 'stopped';
}

export interface HealthSources {
  watcherStatus: () => Promise<WatcherStatus>;
  watcherHeartbeat: () => Promise<HeartbeatReport>;
  /** The keep-alive's own look, so the health check calls hung exactly what the keep-alive does. */
  observeWatcher: (input: ObserveInput) => Promise<WatchResult>;
}

export function healthActivities(deps: ResolvedDeps, sources: HealthSources) {
  const { config, logger } = deps;

  async function checkHealth(): Promise<HealthObservation> {
    const [watcher, heartbeat, seen, pause, draining, keepalive] = await Promise.all([
      sources.watcherStatus(),
      sources.watcherHeartbeat(),
      sources.observeWatcher({ hangTimeoutMs: config.watcher.hang_timeout }),
      readPauseFlag(config),
      exists(drainFlagPath(config)),
      deps.client === undefined ? Promise.resolve(null) : keepAliveState(deps.client, config.worker_id),
    ]);
    const paused = pause !== null;
    const watcherState = stateOf(watcher, paused, keepalive, seen.observation === 'hung');
    const beat = heartbeat.age_seconds === null ? 'no heartbeat' : `heartbeat ${heartbeat.age_seconds}s ${heartbeat.healthy ? 'healthy' : 'unhealthy'}`;
    const summary = [`watcher ${watcherState}${watcher.pid === null ? '' : ` pid ${watcher.pid}`}`, beat, ...(draining ? ['draining'] : [])].join(', ');
    return { watcher_state: watcherState, watcher, heartbeat, paused, draining, keepalive, summary };
  }

  async function ensureKeepAliveRunning(): Promise<{ started: boolean }> {
    if (deps.client === undefined) throw new Error('no Temporal client was given to the activities: the keep-alive cannot be started');
    const { started } = await ensureKeepAlive(deps.client, config);
    if (started) logger.warn({ worker: config.worker_id }, 'keep-alive was not running; started');
    return { started };
  }

  /**
   * File first (a database outage must not hide a live supervisor), then workers_t, then an audit row
   * when the watcher's state differs from the previous run's (read back from the previous file).
   */
  async function recordHealth(input: HealthRecordInput): Promise<{ path: string; database: boolean; stateChanged: boolean }> {
    const at = deps.now();
    const file = supervisorHeartbeatPath(config);
    const previous = await readJsonIfExists<Partial<HealthHeartbeatFile>>(file).catch(() => undefined);
    const body: HealthHeartbeatFile = {
      worker_id: config.worker_id,
      time: at.toISOString(),
      success: input.success,
      error: input.error,
      actions_taken: input.actions_taken,
      watcher_state: input.watcher_state,
      versions: { supervisor: VERSION, node: process.version },
      hostname: hostname(),
      pid: process.pid,
      status_summary: input.summary,
      details: input.details,
    };
    await writeJsonAtomic(file, body);
    const stateChanged = previous?.watcher_state !== input.watcher_state;
    if (stateChanged) {
      await deps.audit.record({
        at: at.toISOString(),
        worker_id: config.worker_id,
        task_id: null,
        handler: 'health_check',
        label: null,
        action: 'watcher_state_changed',
        success: input.success,
        details: { from: previous?.watcher_state ?? null, to: input.watcher_state, summary: input.summary },
        actor: 'supervisor',
      });
    }
    if (deps.pool === undefined) return { path: file, database: false, stateChanged };
    await upsertWorker(deps.pool, { worker_id: config.worker_id, last_heartbeat_at: at, status_summary: input.summary, hostname: body.hostname });
    return { path: file, database: true, stateChanged };
  }

  return { checkHealth, ensureKeepAliveRunning, recordHealth };
}

/**
 * The scheduled health check's activities: look (watcher, its heartbeat file, pause, drain, keep-alive)
 * and record (the supervisor's heartbeat file, workers_t, audit on change). Starting the keep-alive is
 * temporal.ts, with the other activities that hold a Temporal client.
 */
import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { KeepAliveState } from '../contract/supervision.js';
import { upsertWorker } from '../db/workers.js';
import type { WorkerStatusRow } from '../db/workers.js';
import { readJsonIfExists, writeJsonAtomic } from '../lib/atomic.js';
import { drainFlagPath, supervisorHeartbeatPath } from '../nas/paths.js';
import type { WatcherHeartbeatReport, WatcherStatus } from './watcher-look.js';
import { activityAuditKey } from './context.js';
import { readPauseFlag } from './files.js';
import type { ObserveInput, WatchResult } from './watch.js';
import type { ResolvedDeps } from './types.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface HealthObservation {
  /** running/hung/stopped/paused/failed/held: the keep-alive's word when it answers, else what the process shows. */
  watcher_state: string;
  watcher: WatcherStatus;
  heartbeat: WatcherHeartbeatReport;
  paused: boolean;
  draining: boolean;
  keepalive: KeepAliveState | null;
  summary: string;
}

/** The supervisor's heartbeat `00_STATE/supervisor_heartbeat_<workerId>.json`, written atomically by every health run. */
export interface SupervisorHeartbeatFile {
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

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

function stateOf(watcher: WatcherStatus, paused: boolean, keepalive: KeepAliveState | null, hung: boolean): string {
  if (keepalive !== null && (keepalive.state === 'failed' || keepalive.state === 'held')) return keepalive.state;
  if (watcher.running) return hung ? 'hung' : 'running';
  return paused ? 'paused' : 'stopped';
}

export interface HealthSources {
  watcherStatus: () => Promise<WatcherStatus>;
  watcherHeartbeat: () => Promise<WatcherHeartbeatReport>;
  /** The keep-alive's own look, so the health check calls hung exactly what the keep-alive does. */
  observeWatcher: (input: ObserveInput) => Promise<WatchResult>;
  /** The keep-alive's state query, or null when it does not answer (or there is no client). */
  keepAliveState: () => Promise<KeepAliveState | null>;
}

export function healthActivities(deps: ResolvedDeps, sources: HealthSources) {
  const { config } = deps;

  async function checkHealth(): Promise<HealthObservation> {
    const [watcher, heartbeat, seen, pause, draining, keepalive] = await Promise.all([
      sources.watcherStatus(),
      sources.watcherHeartbeat(),
      sources.observeWatcher({ hangTimeoutMs: config.watcher.hang_timeout }),
      readPauseFlag(config),
      exists(drainFlagPath(config.paths.state, config.worker_id)),
      sources.keepAliveState(),
    ]);
    const paused = pause !== null;
    const watcherState = stateOf(watcher, paused, keepalive, seen.observation === 'hung');
    const beat =
      heartbeat.age_seconds === null
        ? 'no heartbeat'
        : `heartbeat ${heartbeat.age_seconds}s ${heartbeat.healthy ? 'healthy' : 'unhealthy'}`;
    const summary = [
      `watcher ${watcherState}${watcher.pid === null ? '' : ` pid ${watcher.pid}`}`,
      beat,
      ...(draining ? ['draining'] : []),
    ].join(', ');
    return { watcher_state: watcherState, watcher, heartbeat, paused, draining, keepalive, summary };
  }

  /** The workers_t upsert; false (logged, not thrown) when the database did not answer. */
  async function updateDatabase(pool: NonNullable<ResolvedDeps['pool']>, row: WorkerStatusRow): Promise<boolean> {
    try {
      await upsertWorker(pool, row);
    } catch (error) {
      deps.logger.warn({ error: String(error) }, 'workers_t not updated: the database did not answer');
      return false;
    }
    return true;
  }

  /**
   * File first (a database outage must not hide a live supervisor), then workers_t and an audit row when the
   * watcher's state differs from the previous run's (read back from the previous file), side by side so an
   * outage costs one query deadline. A database that does not answer fails neither the run nor the activity:
   * the next run catches workers_t up. When it answered, the rows it refused before are drained into it.
   */
  async function recordHealth(
    input: HealthRecordInput,
  ): Promise<{ path: string; database: boolean; stateChanged: boolean }> {
    const at = deps.now();
    const file = supervisorHeartbeatPath(config);
    const previous = await readJsonIfExists<Partial<SupervisorHeartbeatFile>>(file).catch(() => undefined);
    const body: SupervisorHeartbeatFile = {
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
    const audited = stateChanged
      ? deps.audit.record({
          at: at.toISOString(),
          worker_id: config.worker_id,
          task_id: null,
          handler: 'health_check',
          label: null,
          action: 'watcher_state_changed',
          success: input.success,
          details: { from: previous?.watcher_state ?? null, to: input.watcher_state, summary: input.summary },
          actor: 'supervisor',
          row_key: activityAuditKey('watcher_state_changed'),
        })
      : undefined;
    const status = { worker_id: config.worker_id, last_heartbeat_at: at, status_summary: input.summary };
    const updated = deps.pool === undefined ? false : updateDatabase(deps.pool, { ...status, hostname: body.hostname });
    const [, database] = await Promise.all([audited, updated]);
    // In the background: a long back-fill must not hold the health run.
    if (database) void deps.audit.drain?.();
    return { path: file, database, stateChanged };
  }

  return { checkHealth, recordHealth };
}

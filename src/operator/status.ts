/**
 * `supervisor status` of this host: what the watcher is doing and what the supervisor last did about it. Local
 * facts (pid file, heartbeat, pause flag, last health file) always; the keep-alive's counters and the health
 * schedule when Temporal answers.
 */
import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import type { SupervisorHeartbeatFile } from '../activities/health.js';
import { watchActivities } from '../activities/watch.js';
import { watcherLook } from '../activities/watcher-look.js';
import type { Config } from '../config/schema.js';
import { healthScheduleId } from '../contract/ids.js';
import type { KeepAliveState } from '../contract/supervision.js';
import { supervisorHeartbeatPath } from '../nas/paths.js';
import { keepAliveState } from '../supervision/keep-alive.js';

export interface StatusReport {
  worker_id: string;
  /** running/hung/stopped/paused/failed/held (the keep-alive's word when it answers, except hung). */
  watcher_state: string;
  pid: number | null;
  uptime_seconds: number | null;
  heartbeat_age_seconds: number | null;
  heartbeat_healthy: boolean;
  paused: boolean;
  keepalive: KeepAliveState | null;
  restarts_in_window: number | null;
  last_health_run: { time: string; success: boolean; error: string | null } | null;
  next_health_run: string | null;
  temporal: { reachable: boolean; error?: string };
}

async function lastHealthRun(config: Config): Promise<StatusReport['last_health_run']> {
  try {
    const body = JSON.parse(
      await readFile(supervisorHeartbeatPath(config), 'utf8'),
    ) as Partial<SupervisorHeartbeatFile>;
    return typeof body.time === 'string'
      ? { time: body.time, success: body.success === true, error: body.error ?? null }
      : null;
  } catch {
    return null;
  }
}

async function nextHealthRun(client: Client, workerId: string): Promise<string | null> {
  try {
    const next = (await client.schedule.getHandle(healthScheduleId(workerId)).describe()).info.nextActionTimes[0];
    return next?.toISOString() ?? null;
  } catch {
    return null;
  }
}

export async function collectStatus(
  config: Config,
  client: Client | undefined,
  temporalError?: string,
): Promise<StatusReport> {
  const now = () => new Date();
  const look = watcherLook({ config, now });
  const [watcher, heartbeat, seen, keepalive, lastRun, nextRun] = await Promise.all([
    look.watcherStatus(),
    look.watcherHeartbeat(),
    watchActivities({ config, now }).observeWatcher({ hangTimeoutMs: config.watcher.hang_timeout }),
    client === undefined ? Promise.resolve(null) : keepAliveState(client, config.worker_id),
    lastHealthRun(config),
    client === undefined ? Promise.resolve(null) : nextHealthRun(client, config.worker_id),
  ]);
  const local = watcher.running ? 'running' : heartbeat.paused ? 'paused' : 'stopped';
  const answered = keepalive !== null && ['running', 'stopped', 'paused', 'failed', 'held'].includes(keepalive.state);
  // The keep-alive's own test (no heartbeat within hang_timeout): it may not have looked yet, status has.
  const hung = seen.observation === 'hung' && keepalive?.state !== 'failed';
  return {
    worker_id: config.worker_id,
    watcher_state: hung ? 'hung' : answered && keepalive !== null ? keepalive.state : local,
    pid: watcher.pid,
    uptime_seconds: watcher.uptimeSeconds,
    heartbeat_age_seconds: heartbeat.age_seconds,
    // Two reads a moment apart may straddle the limit: the hung verdict wins.
    heartbeat_healthy: heartbeat.healthy && !hung,
    paused: heartbeat.paused,
    keepalive,
    restarts_in_window: keepalive?.restartsInWindow ?? null,
    last_health_run: lastRun,
    next_health_run: nextRun,
    temporal:
      client === undefined ? { reachable: false, error: temporalError ?? 'not connected' } : { reachable: true },
  };
}

const orDash = (value: unknown): string => (value === null || value === undefined ? '-' : String(value));

export function formatStatus(report: StatusReport): string {
  const ka = report.keepalive;
  const lines = [
    `worker            ${report.worker_id}`,
    `watcher           ${report.watcher_state}${report.paused && report.watcher_state !== 'paused' ? ' (pause flag set)' : ''}`,
    `pid               ${orDash(report.pid)}`,
    `uptime            ${report.uptime_seconds === null ? '-' : `${report.uptime_seconds}s`}`,
    `heartbeat age     ${report.heartbeat_age_seconds === null ? '-' : `${report.heartbeat_age_seconds}s`} (${report.heartbeat_healthy ? 'healthy' : 'unhealthy'})`,
    `restarts (window) ${orDash(report.restarts_in_window)}${ka?.lastRestartAt ? `, last ${ka.lastRestartAt}` : ''}${ka && ka.backoffMs > 0 ? `, next in ${ka.backoffMs} ms` : ''}`,
    ...(ka?.failedReason ? [`failed because    ${ka.failedReason} (send resume_watcher or restart_watcher)`] : []),
    ...(ka?.rollback
      ? [
          `rolling back      to ${ka.rollback.lastKnownGood.slice(0, 12)} (${ka.rollback.commitsBack} commits), task ${ka.rollback.taskId}`,
        ]
      : []),
    `last health run   ${report.last_health_run === null ? '-' : `${report.last_health_run.time} ${report.last_health_run.success ? 'ok' : `failed: ${orDash(report.last_health_run.error)}`}`}`,
    `next health run   ${orDash(report.next_health_run)}`,
  ];
  if (!report.temporal.reachable)
    lines.push(`temporal          unreachable (${orDash(report.temporal.error)}): keep-alive and schedule unknown`);
  return `${lines.join('\n')}\n`;
}

export interface StatusRequest {
  config: Config;
  address: string;
  /** Fleet mode: every worker of the namespace (`all`) or one other host's (`worker`), from Temporal only. */
  all?: boolean;
  worker?: string;
  json?: boolean;
}

/** Connects (or notes why not), collects and formats; a fleet without Temporal is an error, not a report. */
export async function runStatus(request: StatusRequest): Promise<string> {
  const { config, address } = request;
  const fleet = request.all === true || (request.worker !== undefined && request.worker !== config.worker_id);
  let connection: Connection | undefined;
  let error: string | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: '3s' });
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
  }
  try {
    const client =
      connection === undefined ? undefined : new Client({ connection, namespace: config.temporal.namespace });
    if (fleet) {
      if (client === undefined)
        throw new StatusError(`Temporal at ${address} is unreachable (${error}): the fleet is known only there`);
      const { collectFleet, formatFleet } = await import('./fleet.js');
      const workers = await collectFleet(client, request.all === true ? undefined : request.worker);
      return request.json === true
        ? `${JSON.stringify(request.all === true ? workers : workers[0], null, 2)}\n`
        : formatFleet(workers);
    }
    const report = await collectStatus(config, client, error);
    return request.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report);
  } finally {
    await connection?.close();
  }
}

export class StatusError extends Error {
  override name = 'StatusError';
}

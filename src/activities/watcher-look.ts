/**
 * The watcher seen from outside, cheaply: is the process in the pid file ours and alive, and what does its
 * heartbeat file say. The activities, the health check, diagnostics and `status` all look this way; this
 * module loads nothing heavier than the file system and the process table, so the CLI's `status` can use it.
 */
import type { Config } from '../config/schema.js';
import { readJsonIfExists } from '../lib/atomic.js';
import { pidFilePath } from '../nas/paths.js';
import { readPauseFlag } from './files.js';
import type { PidRecord } from './pidfile.js';
import { matchesRecord, readPidFile } from './pidfile.js';
import { isAlive, listProcesses, procArgv, residentBytes } from './process-tree.js';

export interface WatcherStatus {
  running: boolean;
  pid: number | null;
  cmdline: string | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  cpuPercent: number | null;
  memoryPercent: number | null;
  rssBytes: number | null;
}

export interface FoundWatcher {
  record: PidRecord;
  cpu: number | undefined;
  memory: number | undefined;
}
/** The watcher's heartbeat file, judged (not the supervisor's heartbeat, nor a Temporal activity heartbeat). */
export interface WatcherHeartbeatReport {
  exists: boolean;
  fresh: boolean;
  healthy: boolean;
  paused: boolean;
  age_seconds: number | null;
  status: string | null;
  message: string | null;
  error: string | null;
}

interface WatcherHeartbeatFile {
  unix_ts?: number;
  status?: string;
  message?: string;
  error?: string;
}

export interface WatcherLookDeps {
  config: Config;
  now: () => Date;
}

export function watcherLook(deps: WatcherLookDeps) {
  const { config } = deps;
  const pidFile = pidFilePath(config);

  /** Ours only if the pid file names a live process whose command line matches; else not running. */
  async function findWatcher(): Promise<FoundWatcher | undefined> {
    const record = await readPidFile(pidFile);
    // Dead first: it needs no process table (a `ps` run), and a dead watcher is what a restart finds.
    if (record === undefined || !(await isAlive(record.pid, record.start_ticks))) return undefined;
    const entry = (await listProcesses()).find((candidate) => candidate.pid === record.pid);
    if (entry === undefined || !matchesRecord(entry, record, await procArgv(record.pid))) return undefined;
    return { record, cpu: entry.cpu, memory: entry.memory };
  }

  async function watcherStatus(): Promise<WatcherStatus> {
    const running = await findWatcher();
    if (running === undefined) {
      return {
        running: false,
        pid: null,
        cmdline: null,
        startedAt: null,
        uptimeSeconds: null,
        cpuPercent: null,
        memoryPercent: null,
        rssBytes: null,
      };
    }
    const { record } = running;
    return {
      running: true,
      pid: record.pid,
      cmdline: record.cmdline,
      startedAt: record.started_at,
      uptimeSeconds: Math.max(0, Math.round((deps.now().getTime() - Date.parse(record.started_at)) / 1000)),
      cpuPercent: running.cpu ?? null,
      memoryPercent: running.memory ?? null,
      rssBytes: (await residentBytes(record.pid)) ?? null,
    };
  }

  /**
   * The watcher's own heartbeat file, judged: the health check, `status` and diagnostics all read it
   * this way. Fresh means younger than watcher.hang_timeout, the age at which the keep-alive calls the
   * watcher hung: a report must not call healthy what the keep-alive is about to kill.
   */
  async function watcherHeartbeat(): Promise<WatcherHeartbeatReport> {
    const body = await readJsonIfExists<WatcherHeartbeatFile>(config.watcher.heartbeat_file);
    const paused = (await readPauseFlag(config)) !== null;
    if (body === undefined)
      return {
        exists: false,
        fresh: false,
        healthy: false,
        paused,
        age_seconds: null,
        status: null,
        message: null,
        error: null,
      };
    const ageMs =
      typeof body.unix_ts === 'number' ? deps.now().getTime() - body.unix_ts * 1000 : Number.POSITIVE_INFINITY;
    const fresh = ageMs <= config.watcher.hang_timeout;
    return {
      exists: true,
      fresh,
      healthy: fresh && body.status === 'healthy' && !body.error,
      paused,
      age_seconds: Number.isFinite(ageMs) ? Math.round(ageMs / 1000) : null,
      status: body.status ?? null,
      message: body.message ?? null,
      error: body.error ?? null,
    };
  }

  return { findWatcher, watcherStatus, watcherHeartbeat };
}

export type WatcherLook = ReturnType<typeof watcherLook>;

/**
 * The keep-alive's eyes: one look at the watcher (process, pause flag, heartbeat age), and a long
 * heartbeating watch that returns as soon as what it sees changes or calls for a restart.
 */
import { readFile } from 'node:fs/promises';
import type { WatcherObservation } from '../contract/supervision.js';
import { pidFilePath } from '../nas/paths.js';
import { activityHooks } from './context.js';
import { readPauseFlag } from './files.js';
import type { PidRecord } from './pidfile.js';
import { matchesRecord, readPidFile } from './pidfile.js';
import { bootTimeMs, isAlive, listProcesses, procArgv } from './process-tree.js';
import type { WatcherLookDeps } from './watcher-look.js';
import { exitOf, sleepUnless } from './watcher-exit.js';

/** The watch's poll with exit news for the watcher: nothing but a hang (timed exactly) and the healthy period to look for. */
const NEWS_POLL_MS = 2_000;

export interface WatchResult {
  observation: WatcherObservation;
  pid: number | null;
  /** Since the last heartbeat (or the start, when the watcher has not beaten yet); null when not running. */
  heartbeatAgeMs: number | null;
  /**
   * Down, and the pid file names a watcher we started since the host booted: it exited or was killed,
   * a failure. False: no pid file (nothing started yet, or stopped on purpose) or one from before the
   * boot (it went down with the host). Absent from older results.
   */
  crashed?: boolean;
  /** `changed`: the command line the running watcher was started with, and the configured one. */
  commandChange?: { running: string; configured: string };
  /**
   * Set once, when the watch was asked (`healthy`) and the running watcher passed the healthy period: it
   * wrote a heartbeat that long after its start, and that heartbeat is fresh (running, not hung), not paused.
   * `startedAt` names the start.
   */
  healthy?: boolean;
  startedAt?: string;
}

export interface ObserveInput {
  hangTimeoutMs: number;
  /** Report a running watcher whose command line is not the configured one as `changed` (else `running`). */
  commandCheck?: boolean;
}

export interface WatchInput extends ObserveInput {
  /** The observation the workflow already knows: the watch returns once it differs. */
  since: WatcherObservation | null;
  pollMs: number;
  maxWatchMs: number;
  /**
   * Also return when a watcher start other than `recordedStart` (its pid file `started_at`) has run
   * healthy for `afterMs`: the keep-alive then records the commit as the last known good one.
   */
  healthy?: { afterMs: number; recordedStart: string | null };
}

/** The heartbeat's unix_ts in ms, or undefined when the file is missing or torn. */
export async function heartbeatTimeMs(file: string): Promise<number | undefined> {
  try {
    const body = JSON.parse(await readFile(file, 'utf8')) as { unix_ts?: unknown };
    return typeof body.unix_ts === 'number' ? body.unix_ts * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export function watchActivities(deps: WatcherLookDeps) {
  const { config } = deps;
  const pidFile = pidFilePath(config);
  /** The last record proven ours (ps + command match); later polls only check it is still alive, cheaply. */
  let verified: PidRecord | undefined;

  async function runningRecord(record: PidRecord | undefined): Promise<PidRecord | undefined> {
    if (record === undefined || !(await isAlive(record.pid, record.start_ticks))) return undefined;
    const known = verified !== undefined && verified.pid === record.pid && verified.started_at === record.started_at;
    if (!known) {
      const entry = (await listProcesses()).find((candidate) => candidate.pid === record.pid);
      if (entry === undefined || !matchesRecord(entry, record, await procArgv(record.pid))) return undefined;
      verified = record;
    }
    return record;
  }

  /** One look. A paused watcher that runs is left alone even when silent or outdated: paused means hands off. */
  async function observeWatcher(input: ObserveInput): Promise<WatchResult> {
    return (await look(input)).seen;
  }

  /** The look, with what the healthy-period check needs besides: the start and how long after it the last beat came. */
  async function look(input: ObserveInput): Promise<{ seen: WatchResult; start?: string; beatAfterStartMs?: number }> {
    const [recorded, pause] = await Promise.all([readPidFile(pidFile), readPauseFlag(config)]);
    const record = await runningRecord(recorded);
    if (record === undefined)
      return {
        seen: {
          observation: pause === null ? 'down' : 'paused',
          pid: null,
          heartbeatAgeMs: null,
          crashed: await diedSinceBoot(recorded),
        },
      };
    const beat = await heartbeatTimeMs(config.watcher.heartbeat_file);
    const startedAt = Date.parse(record.started_at);
    // A heartbeat from before this process started is its predecessor's: count from the start instead.
    const since = Math.max(beat ?? 0, startedAt);
    const heartbeatAgeMs = Math.max(0, deps.now().getTime() - since);
    const seen = { pid: record.pid, heartbeatAgeMs, crashed: false };
    if (pause !== null) return { seen: { observation: 'running', ...seen } };
    const commandChange = input.commandCheck === true ? changedCommand(record) : undefined;
    if (commandChange !== undefined) return { seen: { observation: 'changed', ...seen, commandChange } };
    return {
      seen: { observation: heartbeatAgeMs > input.hangTimeoutMs ? 'hung' : 'running', ...seen },
      start: record.started_at,
      beatAfterStartMs: beat === undefined ? undefined : beat - startedAt,
    };
  }

  /**
   * Running (heartbeat fresh), not paused, a start not yet recorded, and its latest heartbeat written at least
   * the healthy period after its start: the process's own word that it lived that long, not the clock's (a
   * watcher that died unnoticed between two looks has no such beat).
   */
  function passedHealthyPeriod(
    looked: Awaited<ReturnType<typeof look>>,
    healthy: WatchInput['healthy'],
  ): looked is { seen: WatchResult; start: string; beatAfterStartMs: number } {
    if (healthy === undefined || looked.start === undefined || looked.beatAfterStartMs === undefined) return false;
    if (looked.seen.observation !== 'running' || looked.start === healthy.recordedStart) return false;
    return looked.beatAfterStartMs >= healthy.afterMs;
  }

  async function diedSinceBoot(recorded: PidRecord | undefined): Promise<boolean> {
    if (recorded === undefined) return false;
    const boot = await bootTimeMs();
    return boot === undefined || Date.parse(recorded.started_at) >= boot;
  }

  /** The running watcher was started with another program or arguments than the configuration now names. */
  function changedCommand(record: PidRecord): WatchResult['commandChange'] {
    const { command, args } = config.watcher;
    const same =
      record.command === command &&
      record.args.length === args.length &&
      record.args.every((arg, index) => arg === args[index]);
    return same ? undefined : { running: record.cmdline, configured: [command, ...args].join(' ') };
  }

  /**
   * Returns when the watcher needs a restart (down, hung), when what it sees differs from `since`,
   * or after maxWatchMs. Heartbeats every poll, so a dead worker's watch times out and is retried
   * elsewhere, and a cancellation ends the sleep at once.
   */
  async function watchWatcher(input: WatchInput): Promise<WatchResult> {
    const hooks = activityHooks();
    const deadline = Date.now() + input.maxWatchMs;
    for (;;) {
      const looked = await look(input);
      const { seen } = looked;
      if (passedHealthyPeriod(looked, input.healthy)) return { ...seen, healthy: true, startedAt: looked.start };
      const actionable = seen.observation === 'down' || seen.observation === 'hung' || seen.observation === 'changed';
      if (actionable || seen.observation !== input.since || Date.now() >= deadline) return seen;
      hooks.heartbeat(seen);
      // A watcher this process started wakes the watch the moment it dies: the poll is then only for a hang,
      // timed to the moment its heartbeat would be too old, and the healthy period. Else the poll finds the death.
      const exited = exitOf(seen.pid);
      const untilHung = input.hangTimeoutMs - (seen.heartbeatAgeMs ?? 0) + 1;
      const pollMs =
        exited === undefined ? input.pollMs : Math.max(1, Math.min(Math.max(input.pollMs, NEWS_POLL_MS), untilHung));
      await sleepUnless(hooks, pollMs, exited);
    }
  }

  return { observeWatcher, watchWatcher };
}

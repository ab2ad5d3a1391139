import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { StoppedBy } from '../contract/handlers.js';
import { readFileTail, run, spawnDetached } from '../lib/exec.js';
import { pidFilePath } from '../nas/paths.js';
import { activityHooks } from './context.js';
import { PermanentFailure } from './errors.js';
import { readPidFile, removePidFile, rotateIfLarge, writePidFile } from './pidfile.js';
import { stopOrphans, stopProcessTree } from './process-stop.js';
import { isAlive, procStat, sendSignal } from './process-tree.js';
import type { ResolvedDeps } from './types.js';
import type { WatcherLook } from './watcher-look.js';
import { exitNews, exitOf, sleepUnless } from './watcher-exit.js';

export interface StartWatcherResult {
  started: boolean;
  /** True when a watcher was already running; nothing was started (a retried start is harmless). */
  alreadyRunning: boolean;
  pid: number;
}

export interface StopWatcherResult {
  wasRunning: boolean;
  stoppedBy: StoppedBy;
  /** Every process of the tree that was signalled. */
  pids: number[];
  /** Stopped processes (SIGSTOP) that were continued so they could receive the SIGTERM. */
  resumed: number[];
}

export interface StartWatcherInput {
  /** Recorded in the pid file for the keep-alive's one-step restart (restart.ts). */
  token?: string;
  afterCrash?: boolean;
}

export interface StopWatcherInput {
  /**
   * `hang`: the keep-alive saw no heartbeat for hang_timeout. Such a watcher is not expected to
   * react, so it gets watcher.hang_stop_timeout instead of the whole stop_timeout before SIGKILL.
   */
  reason?: 'hang';
}

/** The watcher's environment: its own settings plus where to beat and whose it is. */
export function watcherEnv(config: Config): Record<string, string> {
  return {
    ...config.watcher.env,
    // Absolute: the watcher runs in its own cwd, where a relative path would point elsewhere.
    WATCHER_HEARTBEAT_FILE: path.resolve(config.watcher.heartbeat_file),
    SUPERVISOR_WORKER_ID: config.worker_id,
  };
}

export function processActivities(deps: ResolvedDeps, { findWatcher }: Pick<WatcherLook, 'findWatcher'>) {
  const { config, logger, timing } = deps;
  const pidFile = pidFilePath(config);

  async function startWatcher(input: StartWatcherInput = {}): Promise<StartWatcherResult> {
    const running = await findWatcher();
    if (running !== undefined) return { started: false, alreadyRunning: true, pid: running.record.pid };
    await cleanUpAfterDeadWatcher();
    const { command, args, cwd, log_file: logFile } = config.watcher;
    await mkdir(path.dirname(logFile), { recursive: true });
    await mkdir(path.dirname(pidFile), { recursive: true });
    await rotateIfLarge(logFile, config.logging.rotation_size, config.logging.keep_files);
    const startedAt = new Date();
    const news = exitNews();
    let pid: number;
    try {
      pid = await spawnDetached(command, args, { cwd, env: watcherEnv(config), logFile, onExit: news.onExit });
    } catch (error) {
      throw new PermanentFailure(
        'WatcherStartFailed',
        `cannot start the watcher ${command}: ${(error as Error).message}`,
      );
    }
    news.register(pid);
    const startTicks = (await procStat(pid))?.startTicks;
    try {
      await writePidFile(pidFile, {
        pid,
        command,
        args,
        cmdline: [command, ...args].join(' '),
        started_at: startedAt.toISOString(),
        start_ticks: startTicks,
        ...(input.token === undefined ? {} : { start_token: input.token, after_crash: input.afterCrash ?? true }),
      });
    } catch (error) {
      // A watcher nobody can find would be started a second time by the retry.
      sendSignal(-pid, 'SIGKILL');
      throw error;
    }
    logger.info({ pid, command }, 'watcher started');
    // A watcher with a bad argument or a missing module dies at once: report that as a failed start.
    const hooks = activityHooks();
    hooks.heartbeat({ phase: 'starting', pid });
    await sleepUnless(hooks, timing.startGraceMs, exitOf(pid));
    if (!(await isAlive(pid, startTicks))) {
      await removePidFile(pidFile);
      const logTail = await readFileTail(logFile, 2_000);
      throw new PermanentFailure('WatcherStartFailed', `the watcher exited right after start (pid ${pid})`, {
        pid,
        logTail,
      });
    }
    return { started: true, alreadyRunning: false, pid };
  }

  /** Windows has no process groups or SIGTERM for console programs: taskkill ends the tree. */
  async function stopOnWindows(pid: number): Promise<StopWatcherResult> {
    await run('taskkill', ['/T', '/F', '/PID', String(pid)], { timeoutMs: 30_000 });
    await removePidFile(pidFile);
    return { wasRunning: true, stoppedBy: 'sigkill', pids: [pid], resumed: [] };
  }

  const stopTiming = (input: StopWatcherInput = {}) => {
    const { stop_timeout: stopTimeout, hang_stop_timeout: hangStopTimeout } = config.watcher;
    const graceMs = input.reason === 'hang' ? Math.min(stopTimeout, hangStopTimeout) : stopTimeout;
    return { graceMs, pollMs: timing.pollMs, killWaitMs: timing.killWaitMs };
  };

  /**
   * A dead watcher's children may live on (holding ports, files, GPU memory); they go before a
   * new watcher starts. Then the pid file goes: it names nothing any more.
   */
  async function cleanUpAfterDeadWatcher(): Promise<number[]> {
    const record = await readPidFile(pidFile);
    const orphans =
      record === undefined
        ? undefined
        : await stopOrphans(record.pid, record.start_ticks, stopTiming(), activityHooks());
    if (orphans !== undefined) logger.warn({ pids: orphans.pids }, 'stopped processes left behind by a dead watcher');
    await removePidFile(pidFile);
    return orphans?.pids ?? [];
  }

  async function stopWatcher(input: StopWatcherInput = {}): Promise<StopWatcherResult> {
    const running = await findWatcher();
    if (running === undefined)
      return { wasRunning: false, stoppedBy: 'not-running', pids: await cleanUpAfterDeadWatcher(), resumed: [] };
    const { pid } = running.record;
    if (process.platform === 'win32') return stopOnWindows(pid);
    const outcome = await stopProcessTree(pid, stopTiming(input), activityHooks());
    await removePidFile(pidFile);
    logger.info(
      {
        pid,
        stoppedBy: outcome.stoppedBy,
        pids: outcome.pids,
        resumed: outcome.resumed,
        reason: input.reason ?? 'requested',
      },
      'watcher stopped',
    );
    return { wasRunning: true, ...outcome };
  }

  return { startWatcher, stopWatcher };
}

/**
 * The keep-alive's restart under the lock in one step: look, and start the watcher when it is down. Run as a
 * local activity, so the start goes out in the workflow task that got the lock instead of a task later. Such a
 * step may run twice: a worker that died before its workflow task completed leaves no record of the first run,
 * and the second then finds the watcher the first started. The start's token in the pid file tells it so: the
 * second run reports the first one's start (and whether it replaced a crash) instead of "already running".
 */
import { pidFilePath } from '../nas/paths.js';
import { PermanentFailure } from './errors.js';
import { readPidFile } from './pidfile.js';
import type { StartWatcherInput, StartWatcherResult } from './process.js';
import type { ResolvedDeps } from './types.js';
import type { ObserveInput, WatchResult } from './watch.js';

export interface RestartIfDownInput extends ObserveInput {
  /** Names this restart (the same in every run of the step); written into the pid file of the watcher it starts. */
  token: string;
}

export interface RestartIfDownResult {
  /** What the look found; `down` when this step started the watcher (or an earlier run of it did). */
  seen: WatchResult;
  /** Only when the watcher was down: the new pid, or why the start failed. */
  started?: { pid: number | null; error: string | null };
}

interface Parts {
  observeWatcher(input: ObserveInput): Promise<WatchResult>;
  startWatcher(input?: StartWatcherInput): Promise<StartWatcherResult>;
}

export function restartActivities(deps: ResolvedDeps, parts: Parts) {
  const pidFile = pidFilePath(deps.config);

  async function restartWatcherIfDown(input: RestartIfDownInput): Promise<RestartIfDownResult> {
    const seen = await parts.observeWatcher(input);
    if (seen.observation === 'down') {
      const start = { token: input.token, afterCrash: seen.crashed !== false };
      try {
        return { seen, started: { pid: (await parts.startWatcher(start)).pid, error: null } };
      } catch (error) {
        // A start that cannot work is the workflow's to count; anything else is retried, looking again first.
        if (error instanceof PermanentFailure) return { seen, started: { pid: null, error: error.message } };
        throw error;
      }
    }
    if (seen.observation === 'running' || seen.observation === 'hung') {
      const record = await readPidFile(pidFile);
      if (record?.start_token === input.token && record.pid === seen.pid)
        return {
          seen: { ...seen, observation: 'down', crashed: record.after_crash ?? true },
          started: { pid: record.pid, error: null },
        };
    }
    return { seen };
  }

  return { restartWatcherIfDown };
}

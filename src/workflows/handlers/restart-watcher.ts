import { sleep } from '@temporalio/workflow';
import type { HandlerInput, HandlerResultOf, RestartWatcherDetails } from '../../contract/handlers.js';
import { resetKeepAlive } from '../supervision/reset-keep-alive.js';
import { watcherActivities } from './proxies.js';
import { runHandler } from './run-handler.js';

/** SPEC: restart_watcher waits this long between stop and start. */
export const RESTART_PAUSE_MS = 2_000;

/**
 * SPEC: stop, wait 2 s, start. A paused watcher is started too: honouring the pause flag is the
 * watcher's own business, and an operator who asks for a restart wants a process.
 */
export async function restart_watcher(input: HandlerInput): Promise<HandlerResultOf<'restart_watcher'>> {
  return runHandler(input, { exclusive: true }, async ({ flag, settings, info }) => {
    const watcher = watcherActivities(settings);
    const stop = await watcher.stopWatcher();
    await sleep(RESTART_PAUSE_MS);
    const start = await watcher.startWatcher();
    await resetKeepAlive(settings.workerId, `restart_watcher ${flag.task_id}`);
    info('watcher restarted', { old_pids: stop.pids, pid: start.pid });
    const details: RestartWatcherDetails = {
      was_running: stop.wasRunning,
      stopped_by: stop.stoppedBy,
      old_pids: stop.pids,
      pid: start.pid,
    };
    return { success: true, details };
  });
}

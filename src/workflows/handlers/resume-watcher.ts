import type { HandlerInput, HandlerResultOf, ResumeWatcherDetails } from '../../contract/handlers.js';
import { resetKeepAlive } from '../supervision/reset-keep-alive.js';
import { io, watcherActivities } from './proxies.js';
import { runHandler } from './run-handler.js';

/** SPEC: delete the pause flag, start the watcher, confirm it is running. */
export async function resume_watcher(input: HandlerInput): Promise<HandlerResultOf<'resume_watcher'>> {
  return runHandler(input, { exclusive: true }, async ({ flag, settings, info }) => {
    const watcher = watcherActivities(settings);
    const removed = await io.removePauseFlag();
    const start = await watcher.startWatcher();
    await resetKeepAlive(settings.workerId, `resume_watcher ${flag.task_id}`);
    const status = await watcher.watcherStatus();
    info('watcher resumed', { pid: status.pid, running: status.running });
    const details: ResumeWatcherDetails = {
      pause_flag_removed: removed.removed,
      already_running: start.alreadyRunning,
      pid: status.pid,
      running: status.running,
    };
    return status.running
      ? { success: true, details }
      : { success: false, error: 'the watcher is not running after the start', details };
  });
}

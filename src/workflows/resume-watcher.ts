import type { HandlerInput, HandlerResult } from './definitions.js';
import { runHandler } from './handler.js';
import { resetKeepAlive } from './keep-alive-client.js';
import { io, watcherActivities } from './proxies.js';

/** SPEC: delete the pause flag, start the watcher, confirm it is running. */
export async function resume_watcher(input: HandlerInput): Promise<HandlerResult> {
  return runHandler(input, { exclusive: true }, async ({ flag, settings, info }) => {
    const watcher = watcherActivities(settings);
    const removed = await io.removePauseFlag();
    const start = await watcher.startWatcher();
    await resetKeepAlive(settings.workerId, `resume_watcher ${flag.task_id}`);
    const status = await watcher.watcherStatus();
    info('watcher resumed', { pid: status.pid, running: status.running });
    const details = { pause_flag_removed: removed.removed, already_running: start.alreadyRunning, pid: status.pid, running: status.running };
    return status.running ? { success: true, details } : { success: false, error: 'the watcher is not running after the start', details };
  });
}

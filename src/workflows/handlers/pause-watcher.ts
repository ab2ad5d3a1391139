import type { HandlerInput, HandlerResultOf, PauseWatcherDetails } from '../../contract/handlers.js';
import { io, watcherActivities } from './proxies.js';
import { runHandler } from './run-handler.js';

/** SPEC: create the pause flag (who, when, label), then stop the watcher gracefully. */
export async function pause_watcher(input: HandlerInput): Promise<HandlerResultOf<'pause_watcher'>> {
  return runHandler(input, { exclusive: true }, async ({ flag, settings, info }) => {
    const pause = await io.createPauseFlag({
      who: flag.requested_by ?? 'unknown',
      label: flag.label ?? null,
      taskId: flag.task_id,
    });
    const stop = await watcherActivities(settings).stopWatcher();
    info('watcher paused', { pause_flag_created: pause.created, stopped_by: stop.stoppedBy });
    const details: PauseWatcherDetails = {
      pause_flag_created: pause.created,
      paused_by: pause.flag.paused_by,
      was_running: stop.wasRunning,
      stopped_by: stop.stoppedBy,
      pids: stop.pids,
    };
    return { success: true, details };
  });
}

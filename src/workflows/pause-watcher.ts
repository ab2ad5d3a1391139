import type { HandlerInput, HandlerResult } from './definitions.js';
import { runHandler } from './handler.js';
import { io, watcherActivities } from './proxies.js';

/** SPEC: create the pause flag (who, when, label), then stop the watcher gracefully. */
export async function pause_watcher(input: HandlerInput): Promise<HandlerResult> {
  return runHandler(input, { exclusive: true }, async ({ flag, settings, info }) => {
    const pause = await io.createPauseFlag({ who: flag.requested_by ?? 'unknown', label: flag.label ?? null, taskId: flag.task_id });
    const stop = await watcherActivities(settings).stopWatcher();
    info('watcher paused', { pause_flag_created: pause.created, stopped_by: stop.stoppedBy });
    return {
      success: true,
      details: { pause_flag_created: pause.created, paused_by: pause.flag.paused_by, was_running: stop.wasRunning, stopped_by: stop.stoppedBy, pids: stop.pids },
    };
  });
}

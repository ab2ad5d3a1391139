/**
 * `health/<workerId>-<time>`: one scheduled health run. Looks, makes sure the keep-alive runs, records.
 * A failing step is reported in the heartbeat file rather than failing the run: the file is the proof
 * that the supervisor is alive, and it must be written whatever else is broken.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities, HealthObservation } from '../../activities/index.js';
import type { HealthInput, HealthRunResult } from '../../contract/supervision.js';
import { failureMessage } from '../failures.js';

const health = proxyActivities<Pick<Activities, 'checkHealth' | 'ensureKeepAliveRunning' | 'recordHealth'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});

export async function health_check(input: HealthInput): Promise<HealthRunResult> {
  const errors: string[] = [];
  const actions: string[] = [];
  let seen: HealthObservation | undefined;
  try {
    seen = await health.checkHealth();
  } catch (error) {
    errors.push(`check: ${failureMessage(error)}`);
  }
  try {
    if ((await health.ensureKeepAliveRunning()).started) actions.push('started keep-alive');
  } catch (error) {
    errors.push(`keep-alive: ${failureMessage(error)}`);
  }
  const watcherState = seen?.watcher_state ?? 'unknown';
  const success = errors.length === 0;
  await health.recordHealth({
    success,
    error: success ? null : errors.join('; '),
    actions_taken: actions,
    watcher_state: watcherState,
    summary: seen?.summary ?? `health check failed: ${errors.join('; ')}`,
    details:
      seen === undefined
        ? { worker_id: input.workerId }
        : {
            watcher: seen.watcher,
            heartbeat: seen.heartbeat,
            paused: seen.paused,
            draining: seen.draining,
            keepalive: seen.keepalive,
          },
  });
  return { success, watcher_state: watcherState, actions_taken: actions, errors };
}

/** The health schedule `health/<workerId>`: created, or brought up to date, at every worker start-up. */
import type { Client, ScheduleOptionsStartWorkflowAction, ScheduleSpec } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { healthScheduleId, taskQueueOf } from '../contract/ids.js';
import type { HealthCheckWorkflow, HealthInput } from '../contract/supervision.js';
import { HEALTH_WORKFLOW_TYPE } from '../contract/supervision.js';

function scheduleParts(config: Config, intervalMs?: number) {
  const input: HealthInput = { workerId: config.worker_id };
  const spec: ScheduleSpec = { intervals: [{ every: intervalMs ?? config.health.interval }] };
  const action: ScheduleOptionsStartWorkflowAction<HealthCheckWorkflow> = {
    type: 'startWorkflow',
    workflowType: HEALTH_WORKFLOW_TYPE,
    // The server appends the scheduled time: each run is `health/<workerId>-<time>`.
    workflowId: healthScheduleId(config.worker_id),
    taskQueue: taskQueueOf(config),
    args: [input],
    workflowExecutionTimeout: '5m',
  };
  return { spec, action };
}

/**
 * Idempotent: creates the schedule, or when it exists, replaces its spec, action and overlap policy
 * with the current configuration (an interval changed in the config takes effect on restart).
 * Overlap SKIP: a slow run is never stacked with the next one.
 */
export async function ensureHealthSchedule(
  client: Client,
  config: Config,
  options: { intervalMs?: number } = {},
): Promise<{ created: boolean; scheduleId: string }> {
  const scheduleId = healthScheduleId(config.worker_id);
  const { spec, action } = scheduleParts(config, options.intervalMs);
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
    });
    return { created: true, scheduleId };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    spec,
    action,
    policies: { ...previous.policies, overlap: ScheduleOverlapPolicy.SKIP },
  }));
  return { created: false, scheduleId };
}

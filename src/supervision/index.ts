/** Supervision set-up for worker start-up: `await ensureSupervision(client, config)` once the worker exists. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { ensureKeepAlive } from './keep-alive.js';
import { ensureHealthSchedule } from './health-schedule.js';

export { ensureKeepAlive, keepAliveState, keepAliveTuning } from './keep-alive.js';
export { ensureHealthSchedule } from './health-schedule.js';

/**
 * Idempotent: starts `keepalive/<workerId>` unless it runs and creates or updates the schedule
 * `health/<workerId>`. Safe on every start-up, on any number of hosts at once.
 */
export async function ensureSupervision(
  client: Client,
  config: Config,
): Promise<{ keepAliveStarted: boolean; scheduleCreated: boolean }> {
  const keepAlive = await ensureKeepAlive(client, config);
  const schedule = await ensureHealthSchedule(client, config);
  return { keepAliveStarted: keepAlive.started, scheduleCreated: schedule.created };
}

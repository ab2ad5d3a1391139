/**
 * Workflow `cronSchedule`: the first run waits for the next matching time; each run that completes, fails
 * (without a retry) or times out is followed by the next run, started by the engine with the cron backoff and
 * initiator CRON_SCHEDULE (the closing event names it in newExecutionRunId, as the server does since 1.2x).
 * Cron strings are parsed by the schedules' spec code (robfig forms: 5-7 fields, @every, @daily, CRON_TZ=).
 */
import { compileSpec } from '../schedules/spec.js';

/** The server's message for a cron string it cannot parse, or null. */
export function cronError(cron: string): string | null {
  try {
    compileSpec({ cronString: [cron] });
    return null;
  } catch {
    return `invalid CronSchedule.`; // the server's whole message (frontend ValidateStartWorkflowExecutionRequest)
  }
}

/**
 * Time from `nowMs` to the first matching time after the run's scheduled start that is not before now
 * (backoff.GetBackoffForNextSchedule: missed times are skipped, never run late).
 */
export function cronBackoffMs(cron: string, executionTimeMs: number, nowMs: number): number {
  const next = compileSpec({ cronString: [cron] }).getNextTime('', Math.max(executionTimeMs, nowMs - 1));
  return next ? Math.max(0, next.nominal - nowMs) : -1;
}

/** Workflows only the differential suite uses. */
import { proxyLocalActivities } from '@temporalio/workflow';

type AnyActivities = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** Runs one local activity (recorded as a marker, not as activity events). */
export async function runLocalActivity(name: string, args: unknown[]): Promise<unknown> {
  const fn = proxyLocalActivities<AnyActivities>({ startToCloseTimeout: '10s' })[name];
  if (fn === undefined) throw new Error(`no local activity proxy for ${name}`);
  return await fn(...args);
}

/** The workflow bench/devserver.ts measures: one activity, then one timer (sandboxed: workflow APIs only). */
import { proxyActivities, sleep } from '@temporalio/workflow';

const { benchActivity } = proxyActivities<{ benchActivity(n: number): Promise<number> }>({
  startToCloseTimeout: '30s',
});

export async function activityThenTimer(n: number, timerMs: number): Promise<number> {
  const result = await benchActivity(n);
  await sleep(timerMs);
  return result;
}

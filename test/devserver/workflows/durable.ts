/** The crash test's workflow: an activity that fails its first attempt, a timer, a signal, a heartbeating activity. */
import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export const bonusSignal = defineSignal<[number]>('bonus');

interface CrashActivities {
  /** Fails attempt 1, then returns n * 2. */
  flakyDouble(n: number): Promise<number>;
  /** Heartbeats a few times, then returns n + 1. */
  slowIncrement(n: number): Promise<number>;
}

const acts = proxyActivities<CrashActivities>({
  startToCloseTimeout: '20s',
  // Also the time after which a task whose poll answer was lost with the engine is handed out again.
  heartbeatTimeout: '5s',
  retry: { initialInterval: '200ms', backoffCoefficient: 1, maximumAttempts: 50 },
});

/** Result `${n}:${(n * 2 + 1) + bonus}`: a deterministic function of the input and the signal. */
export async function crashJob(n: number, timerMs: number): Promise<string> {
  let bonus: number | undefined;
  setHandler(bonusSignal, (value) => {
    bonus = value;
  });
  const doubled = await acts.flakyDouble(n);
  await sleep(timerMs);
  await condition(() => bonus !== undefined);
  const incremented = await acts.slowIncrement(doubled);
  return `${n}:${incremented + (bonus ?? 0)}`;
}

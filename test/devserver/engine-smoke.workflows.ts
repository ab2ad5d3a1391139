/** Workflows for the engine smoke test only. */
import { condition, defineQuery, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

interface SmokeActivities {
  greet(name: string): Promise<string>;
}

const { greet } = proxyActivities<SmokeActivities>({ startToCloseTimeout: '10s' });

export const doneSignal = defineSignal<[string]>('done');
export const stateQuery = defineQuery<string>('state');

export async function smokeGreeting(name: string): Promise<string> {
  await sleep(10);
  return await greet(name);
}

export async function smokeSignalQuery(): Promise<string> {
  let state = 'waiting';
  setHandler(stateQuery, () => state);
  setHandler(doneSignal, (value) => {
    state = value;
  });
  await condition(() => state !== 'waiting');
  return state;
}

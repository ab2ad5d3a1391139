/** Workflows for workflow-task semantics and timers. */
import { CancellationScope, condition, isCancellation, setHandler, sleep } from '@temporalio/workflow';
import { pokeSignal } from './definitions.js';

/**
 * Fails its workflow task (a plain Error, not an ApplicationFailure) while exactly one poke has arrived,
 * so the task is retried until a second poke lands; then returns the pokes.
 */
export async function failTaskUntilSecondPoke(): Promise<string[]> {
  const pokes: string[] = [];
  setHandler(pokeSignal, (value) => void pokes.push(value));
  await condition(() => pokes.length > 0);
  if (pokes.length < 2) throw new Error('task failure until second poke');
  return pokes;
}

/** Waits for one poke and returns every poke seen by then. */
export async function firstPokes(): Promise<string[]> {
  const pokes: string[] = [];
  setHandler(pokeSignal, (value) => void pokes.push(value));
  await condition(() => pokes.length > 0);
  return pokes;
}

/** A long timer cancelled by a short one: yields TimerStarted x2, TimerFired, TimerCanceled. */
export async function cancelTimer(shortMs: number): Promise<string> {
  const scope = new CancellationScope();
  const long = scope.run(() => sleep(60_000));
  await sleep(shortMs);
  scope.cancel();
  try {
    await long;
    return 'long timer fired';
  } catch (err) {
    return isCancellation(err) ? 'long timer cancelled' : `unexpected ${String(err)}`;
  }
}

/** Starts timers of the given lengths at once and returns the order in which they fired. */
export async function timerOrder(lengths: number[]): Promise<number[]> {
  const order: number[] = [];
  await Promise.all(
    lengths.map(async (ms) => {
      await sleep(ms);
      order.push(ms);
    }),
  );
  return order;
}

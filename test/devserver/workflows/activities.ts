/** Workflows that run one activity described by the test, so activities can live in test files. */
import {
  ActivityFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { cancelActivitySignal } from './definitions.js';
import type { ActivityCall, CaughtFailure } from './definitions.js';

type AnyActivities = Record<string, (...args: unknown[]) => Promise<unknown>>;

function callActivity(call: ActivityCall): Promise<unknown> {
  const acts = proxyActivities<AnyActivities>(call.options as Parameters<typeof proxyActivities>[0]);
  const fn = acts[call.name];
  if (fn === undefined) throw new Error(`no activity proxy for ${call.name}`);
  return fn(...call.args);
}

/** Runs the activity and lets any failure fail the workflow. */
export async function runActivity(call: ActivityCall): Promise<unknown> {
  return await callActivity(call);
}

/** Runs the activity until the `cancelActivity` signal cancels its scope; reports how it ended. */
export async function cancelActivityOnSignal(call: ActivityCall): Promise<CaughtFailure | { result: unknown }> {
  let cancelRequested = false;
  setHandler(cancelActivitySignal, () => {
    cancelRequested = true;
  });
  const scope = new CancellationScope();
  const running = scope.run(() => callActivity(call));
  void condition(() => cancelRequested).then(() => scope.cancel());
  try {
    return { result: await running };
  } catch (err) {
    if (!(err instanceof ActivityFailure) && !isCancellation(err)) throw err;
    const e = err as Error & { cause?: Error & { type?: string } };
    return {
      name: e.name,
      message: e.message,
      causeName: e.cause?.name,
      causeMessage: e.cause?.message,
      causeType: e.cause?.type,
    };
  }
}

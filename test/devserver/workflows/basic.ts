/** Small workflows exercising starts, signals, queries, timers, cancellation and continue-as-new. */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import { echoQuery, finishSignal, keywordKey, pokeSignal, stateQuery } from './definitions.js';
import type { WaiterState } from './definitions.js';

export async function echo<T>(value: T): Promise<T> {
  return value;
}

export async function sleepThenReturn(ms: number, value: string): Promise<{ value: string; elapsed: number }> {
  const before = Date.now();
  await sleep(ms);
  return { value, elapsed: Date.now() - before };
}

/** Waits for `finish`; records `poke` payloads; answers `state` and `echo` queries. */
export async function waitForFinish(): Promise<{ finish: string; pokes: string[] }> {
  const state: WaiterState = { pokes: [], phase: 'waiting' };
  let finish: string | undefined;
  setHandler(pokeSignal, (value) => void state.pokes.push(value));
  setHandler(finishSignal, (value) => {
    finish = value;
  });
  setHandler(stateQuery, () => state);
  setHandler(echoQuery, (value) => `echo:${value}`);
  await condition(() => finish !== undefined);
  state.phase = 'finished';
  return { finish: finish ?? '', pokes: state.pokes };
}

/** Returns once `count` pokes arrived, with their payloads in arrival order. */
export async function collectPokes(count: number): Promise<string[]> {
  const pokes: string[] = [];
  setHandler(pokeSignal, (value) => void pokes.push(value));
  await condition(() => pokes.length >= count);
  return pokes;
}

export async function failWith(message: string, type: string, nonRetryable: boolean): Promise<never> {
  throw ApplicationFailure.create({ message, type, nonRetryable });
}

export async function blockForever(): Promise<never> {
  await condition(() => false);
  throw new Error('unreachable');
}

/** On cancellation either lets the CancelledFailure propagate or cleans up and completes normally. */
export async function cancellable(cleanUp: boolean): Promise<string> {
  try {
    await condition(() => false);
    return 'unreachable';
  } catch (err) {
    if (!cleanUp || !isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(() => sleep(1));
    return 'cleaned up';
  }
}

export interface InfoReport {
  workflowId: string;
  runId: string;
  firstExecutionRunId: string;
  continuedFromExecutionRunId?: string;
  attempt: number;
  memo?: Record<string, unknown>;
  keyword?: string;
  taskQueue: string;
  runTimeoutMs?: number;
  executionTimeoutMs?: number;
  taskTimeoutMs: number;
}

export async function infoReport(): Promise<InfoReport> {
  const info = workflowInfo();
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    firstExecutionRunId: info.firstExecutionRunId,
    continuedFromExecutionRunId: info.continuedFromExecutionRunId,
    attempt: info.attempt,
    memo: info.memo,
    keyword: info.typedSearchAttributes.get(keywordKey),
    taskQueue: info.taskQueue,
    runTimeoutMs: info.runTimeoutMs,
    executionTimeoutMs: info.executionTimeoutMs,
    taskTimeoutMs: info.taskTimeoutMs,
  };
}

/** Upserts search attributes and memo, then waits for `finish` so a test can describe it mid-run. */
export async function upsertThenWait(pairs: SearchAttributePair[], memo: Record<string, unknown>): Promise<string> {
  upsertSearchAttributes(pairs);
  upsertMemo(memo);
  let done = false;
  setHandler(finishSignal, () => {
    done = true;
  });
  await condition(() => done);
  return 'upserted';
}

/** Continues as new `remaining` times, then returns the chain length it saw. */
export async function countdown(remaining: number, seen = 1): Promise<{ seen: number; lastRunId: string }> {
  if (remaining > 0) await continueAsNew<typeof countdown>(remaining - 1, seen + 1);
  return { seen, lastRunId: workflowInfo().runId };
}

/** Runs `steps` short timers in sequence: one workflow task per step. */
export async function timerSteps(steps: number, ms: number): Promise<number> {
  let done = 0;
  for (let i = 0; i < steps; i++) {
    await sleep(ms);
    done++;
  }
  return done;
}

/**
 * Conformance harness: the server of `TEMPORAL_SERVER` (the embedded engine, or the official dev server) over
 * gRPC, driven only by the real SDK. One server and one workflow bundle per test file (`useHarness()`); every
 * history a test produces is collected and replayed with `Worker.runReplayHistories` in `teardown()`, so
 * histories must satisfy the SDK. Suites about the engine itself are `describeEngineOnly`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ActivityFailure, Client, WorkflowFailedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { WorkerOptions } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { DevServerLogger } from '../../src/devserver/index.js';
import { loadWorkflowBundle } from './bundle.js';
import { collectRunHistories } from './histories.js';
import type { RunRef } from './histories.js';
import { installQuietRuntime } from './runtime.js';
import { waitFor } from '../helpers/process.js';
import { onRealServer, startTestServer } from '../helpers/temporal-server.js';
import type { TestServer } from '../helpers/temporal-server.js';
import type { ActivityCall } from './workflows/definitions.js';

export type History = temporal.api.history.v1.IHistory;
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
export const EventType = temporal.api.enums.v1.EventType;

type WorkerOverrides = Partial<Omit<WorkerOptions, 'connection' | 'workflowBundle' | 'workflowsPath'>>;

export interface Harness {
  server: TestServer;
  env: TestWorkflowEnvironment;
  client: Client;
  namespace: string;
  /** A fresh task queue name so tests never share tasks. */
  taskQueue(label: string): string;
  /** A fresh workflow id, derived from a label for readable engine logs. */
  workflowId(label: string): string;
  /** Builds a worker on the shared bundle; pass activities and any option overrides. */
  createWorker(options: WorkerOverrides & { taskQueue: string }): Promise<Worker>;
  /** Runs `fn` with a worker polling `taskQueue`, then shuts the worker down. */
  withWorker<R>(options: WorkerOverrides & { taskQueue: string }, fn: (worker: Worker) => Promise<R>): Promise<R>;
  /** Records a run (or a whole id's latest run) for the end-of-file replay check. */
  track(ref: RunRef | WorkflowHandle): void;
  /** Fetches a run's full history. */
  history(workflowId: string, runId?: string): Promise<History>;
  /** Replays every tracked history (following continue-as-new and children), then stops everything. */
  teardown(): Promise<void>;
}

/** DEVSERVER_DEBUG=1 prints every engine RPC: the first thing to read when a conformance test fails. */
const stderrLogger = Object.fromEntries(
  (['debug', 'info', 'warn', 'error'] as const).map((level) => [
    level,
    (obj: unknown, msg?: string) => process.stderr.write(`[engine ${level}] ${msg ?? ''} ${JSON.stringify(obj)}\n`),
  ]),
) as unknown as DevServerLogger;

async function startHarness(): Promise<Harness> {
  installQuietRuntime();
  const workflowBundle = await loadWorkflowBundle();
  const server = await startTestServer({
    engine: { logger: process.env.DEVSERVER_DEBUG ? stderrLogger : undefined },
  });
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address, namespace: 'default' });
  const namespace = 'default';
  const client = new Client({ connection: env.connection, namespace });
  const tracked: RunRef[] = [];
  const suffix = randomUUID().slice(0, 8);
  let seq = 0;

  const createWorker = (options: WorkerOverrides & { taskQueue: string }): Promise<Worker> =>
    Worker.create({
      connection: env.nativeConnection,
      namespace,
      workflowBundle,
      shutdownGraceTime: '1s',
      ...options,
    });

  const harness: Harness = {
    server,
    env,
    client,
    namespace,
    taskQueue: (label) => `tq-${label}-${suffix}-${++seq}`,
    workflowId: (label) => `wf-${label}-${suffix}-${++seq}`,
    createWorker,
    async withWorker(options, fn) {
      const worker = await createWorker(options);
      return await worker.runUntil(() => fn(worker));
    },
    track(ref) {
      if ('workflowId' in ref && 'signal' in ref) {
        tracked.push({
          workflowId: ref.workflowId,
          runId: (ref as { firstExecutionRunId?: string }).firstExecutionRunId,
        });
      } else {
        tracked.push(ref as RunRef);
      }
    },
    history: async (workflowId, runId) => await client.workflow.getHandle(workflowId, runId).fetchHistory(),
    async teardown() {
      try {
        const histories = await collectRunHistories(client, tracked);
        const failures: string[] = [];
        for await (const result of Worker.runReplayHistories(
          { workflowBundle, replayName: 'devserver-conformance' },
          histories,
        )) {
          if (result.error) failures.push(`${result.workflowId}/${result.runId}: ${String(result.error)}`);
        }
        if (process.env.DEVSERVER_DEBUG) process.stderr.write(`[conformance] replayed ${histories.length} histories\n`);
        if (failures.length > 0) throw new Error(`histories failed to replay:\n${failures.join('\n')}`);
      } finally {
        await env.teardown();
        await server.stop();
      }
    },
  };
  return harness;
}

/**
 * The one lifecycle of a conformance test file: starts the harness in beforeAll and, in afterAll, runs
 * `beforeTeardown` (stop what the file started on it, e.g. a shared worker), then the replay check and teardown.
 * Returns the harness; it is usable from the first hook or test after this call.
 */
export function useHarness(options: { beforeTeardown?: () => Promise<void> } = {}): Harness {
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness();
  });
  afterAll(async () => {
    if (started === undefined) return;
    try {
      await options.beforeTeardown?.();
    } finally {
      await started.teardown();
    }
  });
  return new Proxy({} as Harness, {
    get(_target, key) {
      if (started === undefined) throw new Error('useHarness: the engine starts in beforeAll');
      return Reflect.get(started, key) as unknown;
    },
  });
}

/**
 * A describe block about the engine itself (its data file, its process, its in-process API), which has no
 * counterpart on the official server: skipped there, with the reason in the title and on stderr.
 */
export function describeEngineOnly(reason: string, name: string, fn: () => void): void {
  if (onRealServer) {
    console.warn(`skipped on the real server (${reason}): ${name}`);
    describe.skip(`${name} [engine only: ${reason}]`, fn);
  } else {
    describe(name, fn);
  }
}

/**
 * One test of a deliberate difference (docs/engine-differences.md) that holds on the engine only: skipped on
 * the real server with the reason in its title.
 */
export function itEngineOnly(reason: string, name: string, fn: () => Promise<void>): void {
  if (onRealServer) it.skip(`${name} [engine only: ${reason}]`, fn);
  else it(name, fn);
}

/**
 * The lifecycle of a test file that restarts engines on database files itself: a temp folder (removed after
 * the file) and the conformance bundle, both set in beforeAll.
 */
export function useEngineFiles(label: string): { dir: string; workflowBundle: { code: string } } {
  const files = { dir: '', workflowBundle: { code: '' } };
  beforeAll(async () => {
    installQuietRuntime();
    files.dir = mkdtempSync(path.join(tmpdir(), `devserver-${label}-`));
    files.workflowBundle = await loadWorkflowBundle();
  }, 120_000);
  afterAll(() => {
    if (files.dir) rmSync(files.dir, { recursive: true, force: true });
  });
  return files;
}

/** The event type names of a history, without the EVENT_TYPE_ prefix, e.g. `ACTIVITY_TASK_STARTED`. */
export function eventTypes(history: History): string[] {
  return (history.events ?? []).map((e) =>
    (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, ''),
  );
}

export function eventsOfType(history: History, type: string): HistoryEvent[] {
  const wanted = EventType[`EVENT_TYPE_${type}` as keyof typeof EventType];
  return (history.events ?? []).filter((e) => e.eventType === wanted);
}

/** Waits until the run's history contains an event of `type`. */
export async function waitForEvent(
  h: Harness,
  workflowId: string,
  type: string,
  runId?: string,
): Promise<HistoryEvent> {
  return await waitFor(
    `${type} in ${workflowId}`,
    async () => eventsOfType(await h.history(workflowId, runId), type)[0],
  );
}

export function millis(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(ts?.seconds ?? 0) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);
}

/** Runs one `runActivity` workflow on a fresh queue with the file's activities; its result or failure, never a throw. */
export async function runActivityCall(
  h: Harness,
  activities: object,
  label: string,
  call: ActivityCall,
): Promise<{ handle: WorkflowHandle; outcome: unknown }> {
  const taskQueue = h.taskQueue(label);
  return await h.withWorker({ taskQueue, activities }, async () => {
    const handle = await h.client.workflow.start('runActivity', {
      taskQueue,
      workflowId: h.workflowId(label),
      args: [call],
    });
    h.track(handle);
    const outcome = await handle.result().catch((e: unknown) => e);
    return { handle, outcome };
  });
}

/** Asserts the workflow failed because of an activity and returns that ActivityFailure. */
export function activityFailure(outcome: unknown): ActivityFailure {
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  const cause = (outcome as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ActivityFailure);
  return cause as ActivityFailure;
}

/**
 * Runs a raw long-poll call (task polls, update waits) with a gRPC deadline: the server refuses a long poll
 * without one ("Context timeout is not set"), as the SDK's own calls always carry one.
 */
export function longPoll<T>(h: Harness, fn: () => Promise<T>, ms = 30_000): Promise<T> {
  return h.env.connection.withDeadline(Date.now() + ms, fn);
}

/** Polls one workflow task by hand, as a worker would, for tests that need to hold or shape a task. */
export async function pollWorkflowTask(h: Harness, taskQueue: string, identity = 'raw-poller') {
  const task = await longPoll(h, () =>
    h.client.workflowService.pollWorkflowTaskQueue({
      namespace: h.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      identity,
    }),
  );
  if (!task.taskToken?.length) throw new Error(`no workflow task on ${taskQueue}`);
  return task;
}

/** Bounds a wait that would otherwise hang until jest's timeout, so a failure names what did not happen. */
export function withinMs<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

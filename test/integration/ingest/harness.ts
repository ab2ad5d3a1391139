/**
 * Ingest test harness: the server of TEMPORAL_SERVER (the embedded engine or the official dev server) over
 * gRPC, a real SDK worker running the stand-in handler workflows on `supervisor-W1`, and a fresh NAS folder
 * per test.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Config } from '../../../src/config/schema.js';
import type { Ingest } from '../../../src/ingest.js';
import { startIngest } from '../../../src/ingest.js';
import { pino } from 'pino';
import type { Logger } from '../../../src/observability/logger.js';
import { installQuietRuntime } from '../../devserver/runtime.js';
import { cachedWorkflowBundle } from '../../helpers/bundle-cache.js';
import { lateBound } from '../../helpers/late-bound.js';
import { useTempDir } from '../../helpers/tmp.js';
import { TEST_WORKER_ID } from '../../helpers/config.js';
import { waitFor } from '../../helpers/process.js';
import { startTestServer } from '../../helpers/temporal-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The one worker the stand-in workflows run for (testConfig's default worker id). */
export const WORKER_ID = TEST_WORKER_ID;

/** The stand-in workflows, bundled once per content (webpack costs seconds). */
export function loadBundle(): Promise<{ code: string }> {
  return cachedWorkflowBundle(path.join(here, 'workflows.ts'));
}

export interface Engine {
  /** The server's address; `stop()` is the teardown's. */
  server: { address: string };
  client: Client;
  connection: Connection;
  stopWorker(): Promise<void>;
  teardown(): Promise<void>;
}

/** Server + client + a worker polling the W1 task queue. */
export async function startEngine(options: { port?: number } = {}): Promise<Engine> {
  installQuietRuntime();
  const server = await startTestServer({ port: options.port });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue: `supervisor-${WORKER_ID}`,
    workflowBundle: await loadBundle(),
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  let workerStopped = false;
  const stopWorker = async (): Promise<void> => {
    if (workerStopped) return;
    workerStopped = true;
    worker.shutdown();
    await running;
    await native.close();
  };
  return {
    server,
    client,
    connection,
    stopWorker,
    async teardown() {
      await stopWorker();
      await connection.close();
      await server.stop();
    },
  };
}

/** A logger whose records the test can read (pino JSON, one object per line). */
export interface IngestEnv {
  /** The engine and its W1 worker, from beforeAll on. */
  readonly engine: Engine;
  /** This test's NAS root: a fresh temp dir, removed after the test. */
  tmp(): string;
  /** runIngest on the engine's client; the ingest is stopped after the test (a stop of its own is fine). */
  runIngest(
    config: Config,
    workerIds?: readonly string[],
  ): Promise<{ ingest: Ingest; records: Record<string, unknown>[] }>;
}

/**
 * The jest lifecycle of an ingest test file (STYLE 18): one engine for the file, a temp NAS per test, and
 * every ingest the test started stopped before its folder goes.
 */
export function useIngestEnv(tmpPrefix: string): IngestEnv {
  let engine: Engine | undefined;
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    await engine?.teardown();
  });
  const running: Ingest[] = [];
  afterEach(async () => {
    for (const ingest of running.splice(0)) await ingest.stop();
  });
  const tmp = useTempDir(tmpPrefix);
  const started = lateBound('the ingest engine', () => engine);
  return {
    engine: started,
    tmp,
    async runIngest(config, workerIds) {
      const { ingest, records } = await runIngest(started.client, config, workerIds);
      let stopped: Promise<void> | undefined;
      const once: Ingest = { ...ingest, stop: () => (stopped ??= ingest.stop()) };
      running.push(once);
      return { ingest: once, records };
    },
  };
}

export function captureLogger(): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug', base: undefined },
    { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, records };
}

export async function runIngest(
  client: Client,
  config: Config,
  workerIds?: readonly string[],
): Promise<{ ingest: Ingest; records: Record<string, unknown>[] }> {
  const { logger, records } = captureLogger();
  const ingest = await startIngest({ config, logger, client, workerIds });
  return { ingest, records };
}

/** Writes a flag as writers must: a dot-prefixed temp name, then a rename into place. */
export async function dropFlag(inbox: string, name: string, body: unknown): Promise<string> {
  await mkdir(inbox, { recursive: true });
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  // A short temp name: the final one may be as long as a name can be.
  const temp = path.join(inbox, `.drop-${createHash('sha256').update(name).digest('hex').slice(0, 16)}.tmp`);
  await writeFile(temp, text);
  const final = path.join(inbox, name);
  await rename(temp, final);
  return final;
}

export function flagName(handler: string, workerId = WORKER_ID): string {
  return `supervisor_${handler}_${workerId}.flag`;
}

export async function exists(file: string): Promise<boolean> {
  return await readFile(file).then(
    () => true,
    () => false,
  );
}

export async function readJson<T = Record<string, unknown>>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

export async function waitForJson<T = Record<string, unknown>>(file: string, timeoutMs = 30_000): Promise<T> {
  await waitFor(file, async () => ((await exists(file)) ? true : undefined), timeoutMs);
  return await readJson<T>(file);
}

/** True when the engine knows a workflow with this id (describe, as an operator would). */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** Every workflow id the engine lists. */
export async function listWorkflowIds(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of client.workflow.list()) ids.push(execution.workflowId);
  return ids;
}

/**
 * Every workflow id the server lists, once it lists each of `ids`: a real server's list (its visibility
 * store) catches up with the starts a moment after them, the embedded engine at once.
 */
export async function listedWith(client: Client, ids: readonly string[], timeoutMs = 30_000): Promise<string[]> {
  return await waitFor(
    'the server to list every workflow started',
    async () => {
      const listed = await listWorkflowIds(client);
      return ids.every((id) => listed.includes(id)) ? listed : undefined;
    },
    timeoutMs,
  );
}

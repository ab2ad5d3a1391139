/**
 * Handler integration harness: the server of TEMPORAL_SERVER (the embedded engine, or the official
 * `temporal server start-dev`) over gRPC, the real SDK, the supervisor's own worker (createSupervisorWorker)
 * on a temp NAS, a real git fixture and the fake watcher. One server and one workflow bundle per test file;
 * each test gets its own worker id, so its task queue, lock workflow and files never meet another test's.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.js';
import { resultFilePath } from '../../src/nas/paths.js';
import { Config } from '../../src/config/schema.js';
import { taskQueueOf } from '../../src/config/schema.js';
import { Flag } from '../../src/flags/schema.js';
import type { FlagInput } from '../../src/flags/schema.js';
import type { HandlerResult, ResultFile } from '../../src/contract/handlers.js';
import { handlerWorkflowId, lockWorkflowId } from '../../src/contract/ids.js';
import { HANDLER_WORKFLOWS } from '../../src/workflows/handlers/index.js';
import type { HandlerWorkflow } from '../../src/workflows/handlers/index.js';
import { createSupervisorWorker } from '../../src/worker.js';
import type { SupervisorWorkerOptions } from '../../src/worker.js';
import { collectRunHistories } from '../devserver/histories.js';
import type { RunRef } from '../devserver/histories.js';
import { installQuietRuntime } from '../devserver/runtime.js';
import { fakeWatcherArgs } from './fake-watcher.js';
import type { FakeWatcherVariant } from './fake-watcher.js';
import { loadWorkflowBundle, ownWorkflowBundle } from '../../src/workflow-bundle.js';
import { activitiesFor } from './activities.js';
import { FAST_TIMING, TEST_LOCK, silentLogger } from './config.js';
import { startTestServer } from './temporal-server.js';
import type { TestServer, TestServerOptions } from './temporal-server.js';

/** The supervisor's workflows, the bundle `npm start` uses (dist/bundle/workflows.source.js), rebuilt when stale. */
export function loadSupervisorBundle(): Promise<{ code: string }> {
  return loadWorkflowBundle(ownWorkflowBundle(), silentLogger);
}

export interface EnvConfigOptions {
  variant?: FakeWatcherVariant;
  repoDir?: string;
  database?: {
    host: string;
    port: number;
    user: string;
    password: string;
    database: string;
    critical_tables?: string[];
  };
  stopTimeout?: string;
  /** The dependency install polls for this file and only then succeeds (a run that stays busy). */
  depsGate?: string;
  /** Anything else, as it would be written in YAML. */
  extra?: Record<string, unknown>;
}

export interface StartWorkerOptions extends Partial<SupervisorWorkerOptions> {
  /**
   * Replaces createSupervisorWorker by a plain Worker whose activities pass through this function:
   * for tests that must make something happen between two activities (a commit landing mid-rollback).
   */
  wrapActivities?: (activities: Activities) => Activities;
}

export interface RunningWorker {
  stop(): Promise<void>;
}

export interface SupervisorEnv {
  /** The engine or the real server (`server.kind`): only its address is the supervisor's business. */
  server: TestServer;
  client: Client;
  bundle: { code: string };
  /** Replays every handler and lock history this file produced against the bundle: determinism check. */
  replayAll(): Promise<void>;
  /** A config rooted in `dir` with a fresh worker id, the fake watcher and a harmless deps install. */
  config(dir: string, options?: EnvConfigOptions): Config;
  startWorker(config: Config, options?: StartWorkerOptions): Promise<RunningWorker>;
  /** Starts a handler workflow as the ingest would: id `<workerId>/<task_id>`, the worker's task queue. */
  start(config: Config, flag: FlagInput): Promise<WorkflowHandle<HandlerWorkflow>>;
  run(config: Config, flag: FlagInput): Promise<HandlerResult>;
  teardown(): Promise<void>;
}

export async function readResultFile(config: Config, taskId: string): Promise<ResultFile> {
  return JSON.parse(await readFile(resultFilePath(config, taskId), 'utf8')) as ResultFile;
}

/** The node one-liner the test configs use as the dependency install: it leaves a marker file. */
export function depsMarker(config: Config): string {
  return path.join(config.paths.nas_root, 'deps-installed.txt');
}

const gatedInstall = (gate: string): string =>
  `const fs = require('node:fs'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(gate)})) ` +
  `{ clearInterval(t); } }, 25);`;

/** `server`: which server and how (default: the TEMPORAL_SERVER switch's, headless). */
export async function startSupervisorEnv(options: TestServerOptions = {}): Promise<SupervisorEnv> {
  installQuietRuntime();
  const [bundle, server] = await Promise.all([loadSupervisorBundle(), startTestServer(options)]);
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const workers = new Set<RunningWorker>();
  const runs: RunRef[] = [];
  const workerIds: string[] = [];
  let seq = 0;

  async function wrappedWorker(config: Config, wrap: (activities: Activities) => Activities) {
    const activities = activitiesFor(config, { client, lock: TEST_LOCK });
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue: taskQueueOf(config),
      workflowBundle: bundle,
      activities: wrap(activities),
      shutdownGraceTime: '1s',
    });
    return { worker, close: async () => undefined };
  }

  const env: SupervisorEnv = {
    server,
    client,
    bundle,
    config(dir, options = {}) {
      seq += 1;
      const workerId = `W${process.pid}-${seq}`;
      workerIds.push(workerId);
      const state = path.join(dir, '00_STATE');
      const heartbeatFile = path.join(state, `watcher_heartbeat_${workerId}.json`);
      const marker = path.join(dir, 'deps-installed.txt');
      const config = Config.parse({
        worker_id: workerId,
        paths: { nas_root: dir },
        watcher: {
          command: process.execPath,
          args: fakeWatcherArgs({ variant: options.variant ?? 'well-behaved', heartbeatFile, intervalMs: 50 }),
          cwd: dir,
          stop_timeout: options.stopTimeout ?? '1s',
        },
        repo: {
          dir: options.repoDir ?? dir,
          deps_install: {
            command: process.execPath,
            args: [
              '-e',
              options.depsGate === undefined
                ? `require('node:fs').appendFileSync(${JSON.stringify(marker)}, process.cwd() + '\\n')`
                : gatedInstall(options.depsGate),
            ],
            timeout: options.depsGate === undefined ? '30s' : '2m',
          },
        },
        ...(options.database === undefined ? {} : { database: options.database }),
        ...options.extra,
      });
      for (const folder of Object.values(config.paths)) mkdirSync(folder, { recursive: true });
      return config;
    },
    async startWorker(config, options = {}) {
      const { worker, close } =
        options.wrapActivities === undefined
          ? await createSupervisorWorker({
              config,
              logger: silentLogger,
              connection: nativeConnection,
              client,
              workflowBundle: bundle,
              timing: FAST_TIMING,
              lock: TEST_LOCK,
              workerOptions: { shutdownGraceTime: '1s' },
              ...options,
            })
          : await wrappedWorker(config, options.wrapActivities);
      const running = worker.run();
      let stopped: Promise<void> | undefined;
      const handle: RunningWorker = {
        stop: () => {
          stopped ??= (async () => {
            worker.shutdown();
            await running;
            await close();
            workers.delete(handle);
          })();
          return stopped;
        },
      };
      workers.add(handle);
      return handle;
    },
    async start(config, input) {
      const flag = Flag.parse(input);
      runs.push({ workflowId: handlerWorkflowId(config.worker_id, flag.task_id) });
      const workflow: HandlerWorkflow = HANDLER_WORKFLOWS[flag.handler];
      return client.workflow.start(workflow, {
        workflowId: handlerWorkflowId(config.worker_id, flag.task_id),
        taskQueue: taskQueueOf(config),
        args: [flag],
      });
    },
    async run(config, input) {
      const handle = await env.start(config, input);
      return (await handle.result()) as HandlerResult;
    },
    async replayAll() {
      const locks: RunRef[] = [];
      for (const workerId of workerIds) {
        const id = lockWorkflowId(workerId);
        if (
          await client.workflow
            .getHandle(id)
            .describe()
            .then(
              () => true,
              () => false,
            )
        )
          locks.push({ workflowId: id });
      }
      const histories = await collectRunHistories(client, [...runs, ...locks]);
      const failures: string[] = [];
      for await (const result of Worker.runReplayHistories(
        { workflowBundle: bundle, replayName: 'supervisor-handlers' },
        histories,
      )) {
        if (result.error) failures.push(`${result.workflowId}/${result.runId}: ${String(result.error)}`);
      }
      if (process.env.DEVSERVER_DEBUG) process.stderr.write(`[handlers] replayed ${histories.length} histories\n`);
      if (failures.length > 0) throw new Error(`histories failed to replay:\n${failures.join('\n')}`);
    },
    async teardown() {
      for (const worker of [...workers]) await worker.stop().catch(() => undefined);
      await connection.close();
      await nativeConnection.close();
      await server.stop();
    },
  };
  return env;
}

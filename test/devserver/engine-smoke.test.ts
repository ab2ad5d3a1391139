/** Smoke test of the embedded engine with the real SDK: start → workflow task → activity → timer → result. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startDevServer } from '../../src/devserver/index.js';
import type { DevServer } from '../../src/devserver/index.js';
import { startEngineServer } from '../../src/devserver/server.js';
import { restoreAll } from '../../src/devserver/core/recovery.js';
import { describeEngineOnly } from './helpers.js';

describeEngineOnly("it drives the engine's in-process API (startEngineServer, restoreAll)", 'engine smoke', () => {
  let server: DevServer;
  let bundle: WorkflowBundleWithSourceMap;
  let connection: Connection;
  let client: Client;
  let native: NativeConnection;

  beforeAll(async () => {
    if (Runtime._instance === undefined) {
      Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
    }
    server = await startDevServer({ port: 0 });
    bundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./engine-smoke.workflows.ts', import.meta.url)),
      logger: new DefaultLogger('WARN'),
    });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
    native = await NativeConnection.connect({ address: server.address });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await connection?.close();
    await native?.close();
  });

  async function withWorker<R>(
    taskQueue: string,
    fn: () => Promise<R>,
    connectionOverride?: NativeConnection,
  ): Promise<R> {
    const worker = await Worker.create({
      connection: connectionOverride ?? native,
      taskQueue,
      workflowBundle: bundle,
      activities: { greet: async (name: string) => `hello ${name}` },
      shutdownGraceTime: '1s',
    });
    return await worker.runUntil(fn);
  }

  test('runs a workflow with a timer and an activity to completion', async () => {
    const result = await withWorker('smoke-1', () =>
      client.workflow.execute('smokeGreeting', {
        taskQueue: 'smoke-1',
        workflowId: 'smoke-greeting',
        args: ['engine'],
      }),
    );
    expect(result).toBe('hello engine');
    const history = await client.workflow.getHandle('smoke-greeting').fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, 'smoke-greeting');
  });

  test('signals, queries and duplicate start', async () => {
    await withWorker('smoke-2', async () => {
      const handle = await client.workflow.start('smokeSignalQuery', { taskQueue: 'smoke-2', workflowId: 'smoke-sq' });
      await expect(
        client.workflow.start('smokeSignalQuery', { taskQueue: 'smoke-2', workflowId: 'smoke-sq' }),
      ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      expect(await handle.query('state')).toBe('waiting');
      await handle.signal('done', 'finished');
      expect(await handle.result()).toBe('finished');
      expect(await handle.query('state')).toBe('finished');
    });
  });

  test('a run rebuilt from its history by a fresh engine carries on', async () => {
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const config = {
      port: 0,
      host: '127.0.0.1',
      logger: silent,
      engine: { longPollMs: 60_000, queryTimeoutMs: 30_000 },
    };
    const first = await startEngineServer(config);
    const firstNative = await NativeConnection.connect({ address: first.address });
    const firstClient = new Client({ connection: await Connection.connect({ address: first.address }) });
    await withWorker(
      'smoke-3',
      async () => {
        const handle = await firstClient.workflow.start('smokeSignalQuery', {
          taskQueue: 'smoke-3',
          workflowId: 'smoke-restore',
        });
        expect(await handle.query('state')).toBe('waiting');
      },
      firstNative,
    );
    const snapshots = [...first.engine.store.allRuns()].map((run) => ({
      namespace: run.namespace,
      workflowId: run.workflowId,
      runId: run.runId,
      events: [...run.events],
    }));
    await first.stop();
    await firstClient.connection.close();
    await firstNative.close();

    const second = await startEngineServer(config);
    restoreAll(second.engine, snapshots);
    const secondNative = await NativeConnection.connect({ address: second.address });
    const secondClient = new Client({ connection: await Connection.connect({ address: second.address }) });
    try {
      const result = await withWorker(
        'smoke-3',
        async () => {
          const handle = secondClient.workflow.getHandle('smoke-restore');
          await handle.signal('done', 'after restore');
          return await handle.result();
        },
        secondNative,
      );
      expect(result).toBe('after restore');
      const history = await secondClient.workflow.getHandle('smoke-restore').fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, 'smoke-restore');
    } finally {
      await second.stop();
      await secondClient.connection.close();
      await secondNative.close();
    }
  });

  test('custom search attributes are registered through the OperatorService and enforced', async () => {
    const KEYWORD = 2;
    await connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { SmokeWorker: KEYWORD },
    });
    // Adding it again is accepted, as on a server with SQL visibility.
    await connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { SmokeWorker: KEYWORD },
    });
    const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(listed.customAttributes).toEqual({ SmokeWorker: KEYWORD });
    const err = await client.workflow
      .start('smokeSignalQuery', {
        taskQueue: 'smoke-4',
        workflowId: 'smoke-sa-bad',
        searchAttributes: { NotRegistered: ['x'] },
      })
      .catch((e: unknown) => e as { cause?: { code?: number; details?: string } });
    expect(err).toMatchObject({
      cause: { code: 3, details: 'Namespace default has no mapping defined for search attribute NotRegistered' },
    });
    const handle = await client.workflow.start('smokeSignalQuery', {
      taskQueue: 'smoke-4',
      workflowId: 'smoke-sa',
      searchAttributes: { SmokeWorker: ['w1'] },
    });
    const found: string[] = [];
    for await (const wf of client.workflow.list({ query: "SmokeWorker = 'w1'" })) found.push(wf.workflowId);
    expect(found).toEqual(['smoke-sa']);
    await handle.terminate('done');
  });

  test('long polls end empty after the poll timeout', async () => {
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const quick = await startEngineServer({
      port: 0,
      host: '127.0.0.1',
      logger: silent,
      engine: { longPollMs: 200, queryTimeoutMs: 200 },
    });
    const conn = await Connection.connect({ address: quick.address });
    try {
      const noDeadline = await conn.workflowService
        .pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'nobody-home' }, identity: 't' })
        .catch((e: unknown) => e);
      // As on the server: a long poll must carry a deadline.
      expect(noDeadline).toMatchObject({ code: 3, details: 'Context timeout is not set.' });
      const poll = await conn.withDeadline(Date.now() + 10_000, () =>
        conn.workflowService.pollWorkflowTaskQueue({
          namespace: 'default',
          taskQueue: { name: 'nobody-home' },
          identity: 't',
        }),
      );
      expect(poll.taskToken?.length ?? 0).toBe(0);
      const started = await conn.workflowService.startWorkflowExecution({
        namespace: 'default',
        workflowId: 'lp',
        workflowType: { name: 'x' },
        taskQueue: { name: 'nobody-home' },
        requestId: 'lp-1',
        identity: 't',
      });
      const history = await conn.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: 'lp', runId: started.runId },
        waitNewEvent: true,
        historyEventFilterType: 2,
      });
      expect(history.history?.events ?? []).toHaveLength(0);
      expect(history.nextPageToken?.length).toBeGreaterThan(0);
    } finally {
      await conn.close();
      await quick.stop();
    }
  });

  test('a query right after a signal sees the signal (consistent query)', async () => {
    await withWorker('smoke-5', async () => {
      for (let i = 0; i < 5; i++) {
        const handle = await client.workflow.start('smokeSignalQuery', {
          taskQueue: 'smoke-5',
          workflowId: `smoke-consistent-${i}`,
        });
        expect(await handle.query('state')).toBe('waiting');
        await handle.signal('done', `value-${i}`);
        expect(await handle.query('state')).toBe(`value-${i}`);
        expect(await handle.result()).toBe(`value-${i}`);
      }
    });
  });

  test('user metadata: the start summary and details are described', async () => {
    const handle = await client.workflow.start('smokeGreeting', {
      taskQueue: 'smoke-6',
      workflowId: 'smoke-summary',
      args: ['meta'],
      staticSummary: 'greets once',
      staticDetails: 'details',
    });
    await withWorker('smoke-6', () => handle.result());
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe('greets once');
    expect(await described.staticDetails()).toBe('details');
  });
});

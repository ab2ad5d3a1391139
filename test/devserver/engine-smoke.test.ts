/** Smoke test of the embedded engine with the real SDK: start → workflow task → activity → timer → result. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startDevServer } from '../../src/devserver/index.js';
import type { DevServer } from '../../src/devserver/index.js';

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

async function withWorker<R>(taskQueue: string, fn: () => Promise<R>): Promise<R> {
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: bundle,
    activities: { greet: async (name: string) => `hello ${name}` },
    shutdownGraceTime: '1s',
  });
  return await worker.runUntil(fn);
}

test('runs a workflow with a timer and an activity to completion', async () => {
  const result = await withWorker('smoke-1', () =>
    client.workflow.execute('smokeGreeting', { taskQueue: 'smoke-1', workflowId: 'smoke-greeting', args: ['engine'] }),
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

/**
 * Updates across an engine restart on the same database: accepted and completed updates are rebuilt from their
 * history events (id dedupe and outcomes survive; an accepted update still fails when the workflow completes).
 */
import path from 'node:path';
import { expect, test } from '@jest/globals';
import { Client, Connection, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startDevServer } from '../../src/devserver/index.js';
import type { DevServer } from '../../src/devserver/index.js';
import { describeEngineOnly, useEngineFiles } from './helpers.js';
import { addUpdate, doneSignal, hangUpdate } from './workflows/updates.js';
import { freePort } from '../helpers/process.js';

describeEngineOnly('it restarts the engine in-process on its database file', 'updates across an engine restart', () => {
  const files = useEngineFiles('update-durability');

  test('completed and accepted updates survive a restart', async () => {
    const port = await freePort();
    const dbPath = path.join(files.dir, 'updates.db');
    let server: DevServer = await startDevServer({ port, dbPath });
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    const native = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
    const client = new Client({ connection });
    const worker = () =>
      Worker.create({
        connection: native,
        taskQueue: 'upd-durable',
        workflowBundle: files.workflowBundle,
        shutdownGraceTime: '1s',
      });
    const handle = await client.workflow.start('counter', { taskQueue: 'upd-durable', workflowId: 'upd-durable' });
    await (
      await worker()
    ).runUntil(async () => {
      expect(await handle.executeUpdate(addUpdate, { args: [5], updateId: 'add-5' })).toBe(5);
      await handle.startUpdate(hangUpdate, { updateId: 'hang', waitForStage: WorkflowUpdateStage.ACCEPTED });
    });

    await server.stop();
    server = await startDevServer({ port, dbPath });

    // No worker yet: both answers come from the restored history alone.
    expect(await handle.getUpdateHandle<number>('add-5').result()).toBe(5);
    expect(await handle.executeUpdate(addUpdate, { args: [5], updateId: 'add-5' })).toBe(5);
    const polled = await client.workflowService.pollWorkflowExecutionUpdate({
      namespace: 'default',
      updateRef: { workflowExecution: { workflowId: 'upd-durable' }, updateId: 'hang' },
      waitPolicy: { lifecycleStage: 2 },
    });
    expect(polled.stage).toBe(2);

    await (
      await worker()
    ).runUntil(async () => {
      await handle.signal(doneSignal);
      expect(await handle.result()).toBe(5);
    });
    const err = await handle
      .getUpdateHandle('hang')
      .result()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    await connection.close();
    await native.close();
    await server.stop();
  }, 60_000);
});

/**
 * Durability of the embedded engine in-process: stop it, start a new one on the same database file (and
 * port, so the same worker and client reconnect), and the work carries on.
 */
import { appendFileSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@jest/globals';
import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import Long from 'long';
import { startDevServer } from '../../src/devserver/index.js';
import type { DevServer, DevServerOptions } from '../../src/devserver/index.js';
import { RecordLog } from '../../src/devserver/persist/record-log.js';
import { describeEngineOnly, useEngineFiles } from './helpers.js';
import { finishSignal, pokeSignal } from './workflows/definitions.js';
import type { ActivityCall } from './workflows/definitions.js';
import { freePort } from '../helpers/process.js';

describeEngineOnly(
  'it restarts the engine in-process on its database file',
  'engine durability across restarts',
  () => {
    const files = useEngineFiles('durability');

    interface Setup {
      start(extra?: Partial<DevServerOptions>): Promise<DevServer>;
      client: Client;
      connection: Connection;
      native: NativeConnection;
      db: string;
      close(): Promise<void>;
    }

    /** An engine on a fixed port and database file, and a client + native connection that outlive restarts. */
    async function setup(
      name: string,
      base: Partial<DevServerOptions> = {},
    ): Promise<Setup & { server: () => DevServer }> {
      const port = await freePort();
      const db = path.join(files.dir, `${name}.db`);
      let current: DevServer | null = null;
      const start = async (extra: Partial<DevServerOptions> = {}): Promise<DevServer> => {
        current = await startDevServer({ port, dbPath: db, ...base, ...extra });
        return current;
      };
      await start();
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      const native = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
      return {
        start,
        connection,
        native,
        db,
        client: new Client({ connection }),
        server: () => current as unknown as DevServer,
        close: async () => {
          await connection.close();
          await native.close();
          await current?.stop();
        },
      };
    }

    test('started workflows, signals, timers, a started activity attempt and its heartbeat details survive a restart', async () => {
      const s = await setup('restart');
      let release = false;
      const activities = {
        async progressThenFail(): Promise<string> {
          const ctx = Context.current();
          if (ctx.info.attempt > 1) return `attempt ${ctx.info.attempt} saw ${String(ctx.info.heartbeatDetails)}`;
          ctx.heartbeat('progress-7');
          while (!release) await ctx.sleep(50);
          throw new Error('first attempt fails after the restart');
        },
      };
      const worker = await Worker.create({
        connection: s.native,
        taskQueue: 'durable',
        workflowBundle: files.workflowBundle,
        activities,
        shutdownGraceTime: '1s',
      });
      await worker.runUntil(async () => {
        const done = await s.client.workflow.execute('echo', {
          taskQueue: 'durable',
          workflowId: 'closed-before',
          args: ['kept'],
        });
        expect(done).toBe('kept');
        const waiter = await s.client.workflow.start('waitForFinish', { taskQueue: 'durable', workflowId: 'waiter' });
        await waiter.signal(pokeSignal, 'before');
        const sleeper = await s.client.workflow.start('sleepThenReturn', {
          taskQueue: 'durable',
          workflowId: 'sleeper',
          args: [1500, 'slept'],
        });
        const call: ActivityCall = {
          name: 'progressThenFail',
          args: [],
          options: { startToCloseTimeout: '60s', heartbeatTimeout: '30s', retry: { initialInterval: '100ms' } },
        };
        const act = await s.client.workflow.start('runActivity', {
          taskQueue: 'durable',
          workflowId: 'heartbeater',
          args: [call],
        });
        await waitUntil(
          async () => (await act.describe()).raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.length === 1,
        );

        await s.server().stop();
        await s.start();

        await waiter.signal(pokeSignal, 'after');
        await waiter.signal(finishSignal, 'done');
        release = true;
        expect(await waiter.result()).toEqual({ finish: 'done', pokes: ['before', 'after'] });
        expect((await sleeper.result()).value).toBe('slept');
        expect(await act.result()).toBe('attempt 2 saw progress-7');
        expect(await s.client.workflow.getHandle('closed-before').result()).toBe('kept');
      });
      await s.close();
    }, 60_000);

    test('a torn last write is cut off when the database is opened', async () => {
      const s = await setup('torn');
      await s.client.workflow.start('waitForFinish', { taskQueue: 'torn', workflowId: 'torn-1' });
      await s.server().stop();
      const good = statSync(s.db).size;
      // Half a frame: a length that runs past the end of the file, as after kill -9 in the middle of a write.
      appendFileSync(s.db, Buffer.from([0xff, 0x00, 0x00, 0x00, 0x12, 0x34]));
      await s.start();
      await expect(startDevServer({ port: 0, dbPath: s.db })).rejects.toThrow(/is in use by process/);
      expect(statSync(s.db).size).toBe(good);
      expect((await s.client.workflow.getHandle('torn-1').describe()).status.name).toBe('RUNNING');
      await s.close();

      const bytes = readFileSync(s.db);
      rmSync(s.db);
      appendFileSync(s.db, bytes.subarray(0, bytes.length - 3));
      const opened = await RecordLog.open(s.db);
      expect(opened.truncatedBytes).toBeGreaterThan(0);
      await opened.log.close();
    }, 60_000);

    test('compaction rewrites the log and keeps every run', async () => {
      const s = await setup('compact', { compactAfterBytes: 1 });
      const worker = await Worker.create({
        connection: s.native,
        taskQueue: 'compact',
        workflowBundle: files.workflowBundle,
        shutdownGraceTime: '1s',
      });
      await worker.runUntil(async () => {
        for (let i = 0; i < 5; i++)
          await s.client.workflow.execute('echo', { taskQueue: 'compact', workflowId: `c-${i}`, args: [i] });
        const open = await s.client.workflow.start('waitForFinish', { taskQueue: 'compact', workflowId: 'c-open' });
        await open.signal(pokeSignal, 'x');
        await s.server().stop();
        await s.start();
        for (let i = 0; i < 5; i++) expect(await s.client.workflow.getHandle(`c-${i}`).result()).toBe(i);
        await open.signal(finishSignal, 'y');
        expect(await open.result()).toEqual({ finish: 'y', pokes: ['x'] });
      });
      await s.close();
    }, 60_000);

    test('closed runs are deleted after the namespace retention, also while the engine was down', async () => {
      const s = await setup('retention', { retentionMs: 1500 });
      const worker = await Worker.create({
        connection: s.native,
        taskQueue: 'ret',
        workflowBundle: files.workflowBundle,
        shutdownGraceTime: '1s',
      });
      await worker.runUntil(async () => {
        await s.client.workflow.execute('echo', { taskQueue: 'ret', workflowId: 'ret-1', args: [1] });
      });
      await s.connection.workflowService.registerNamespace({
        namespace: 'long-lived',
        workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(7 * 86_400) },
      });
      await s.server().stop();
      await new Promise((resolve) => setTimeout(resolve, 1600));
      await s.start();
      await expect(s.client.workflow.getHandle('ret-1').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
      const ns = await s.connection.workflowService.describeNamespace({ namespace: 'long-lived' });
      expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(7 * 86_400);
      await s.close();
    }, 60_000);

    test('schedules survive a restart; a deleted one stays deleted', async () => {
      const s = await setup('schedules');
      const action = { type: 'startWorkflow', workflowType: 'echo', args: ['x'], taskQueue: 'sched' } as const;
      const kept = await s.client.schedule.create({
        scheduleId: 'kept',
        spec: { intervals: [{ every: '1h' }] },
        action: { ...action, workflowId: 'kept-wf' },
        state: { paused: true, note: 'kept paused' },
      });
      const gone = await s.client.schedule.create({
        scheduleId: 'gone',
        spec: { cronExpressions: ['0 3 * * *'] },
        action: { ...action, workflowId: 'gone-wf' },
      });
      await gone.delete();
      await s.server().stop();
      await s.start();
      const d = await kept.describe();
      expect(d.state).toMatchObject({ paused: true, note: 'kept paused' });
      expect(d.spec.intervals).toEqual([{ every: 3_600_000, offset: undefined }]);
      await expect(gone.describe()).rejects.toThrow();
      await kept.delete();
      await s.close();
    }, 60_000);

    async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!(await probe())) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  },
);

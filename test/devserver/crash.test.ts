/**
 * Crash test: the engine runs as its own process on a database file and is killed with SIGKILL
 * at random moments while 200 workflows run (an activity failing its first attempt, a timer, a signal, a
 * heartbeating activity). Each time it comes back on the same port and file, and the same worker and client
 * carry on through the SDK's reconnects. At the end every workflow has completed once, with the result its
 * input and signal determine, and no acknowledged start or signal was lost.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadWorkflowBundle } from './bundle.js';
import { bonusSignal } from './workflows/durable.js';
import { freePort } from '../helpers/process.js';
import { describeEngineOnly } from './helpers.js';

describeEngineOnly(
  'it SIGKILLs the engine process and restarts it on its data file',
  'the engine survives SIGKILLs',
  () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    const WORKFLOWS = 200;
    const KILLS = 20;
    let dir = '';
    let db = '';
    let executions = '';
    let engine: ChildProcess | null = null;

    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'devserver-crash-'));
      db = path.join(dir, 'temporal.db');
      executions = path.join(dir, 'executions.log');
    });
    afterAll(() => {
      engine?.kill('SIGKILL');
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /**
     * Starts the engine and resolves once it prints its address. The first start goes through the real CLI
     * (`supervisor devserver --db`); restarts use a bare entry that loads only the engine (~0.5 s instead of
     * ~1.5 s for the whole CLI), which keeps 20 restarts within a CI budget. Both open the same file.
     */
    async function startEngine(port: number, viaCli: boolean): Promise<ChildProcess> {
      const bare = `import('./src/devserver/index.ts').then((m) => m.startDevServer({ port: ${port}, dbPath: ${JSON.stringify(db)} }))
    .then((s) => process.stdout.write(s.address + '\\n'));`;
      const args = viaCli
        ? ['--import', 'tsx', 'src/cli/main.ts', 'devserver', '--port', String(port), '--db', db, '--log-level', 'warn']
        : ['--import', 'tsx', '--input-type=module', '-e', bare];
      const child = spawn(process.execPath, args, {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, SUPERVISOR_CONFIG: '' },
      });
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes(`:${port}`)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`engine exited with ${code} before listening`)));
      });
      return child;
    }

    async function kill(child: ChildProcess): Promise<void> {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }

    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

    /** Retries a call the engine may not answer while it is down; only a returned value counts as acknowledged. */
    async function persist<T>(fn: () => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn();
        } catch (err) {
          if (
            err instanceof WorkflowExecutionAlreadyStartedError ||
            err instanceof WorkflowNotFoundError ||
            attempt > 400
          )
            throw err;
          await sleep(100);
        }
      }
    }

    const activities = {
      async flakyDouble(n: number): Promise<number> {
        const { attempt, workflowExecution } = Context.current().info;
        appendFileSync(executions, `flaky ${workflowExecution?.workflowId} ${attempt === 1 ? 'failed' : 'ok'}\n`);
        if (attempt === 1) throw new Error('first attempt fails');
        return n * 2;
      },
      async slowIncrement(n: number): Promise<number> {
        const ctx = Context.current();
        for (let i = 0; i < 3; i++) {
          ctx.heartbeat(i);
          await sleep(100);
        }
        appendFileSync(executions, `slow ${ctx.info.workflowExecution?.workflowId} ok\n`);
        return n + 1;
      },
    };

    test(`${WORKFLOWS} workflows survive ${KILLS} SIGKILLs of the engine`, async () => {
      // The first attempt of every flakyDouble fails on purpose: keep the worker's warning about it out of the output.
      Runtime.install({
        logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
          if (message === 'Activity failed' || message.startsWith('No activities registered')) return;
          process.stderr.write(`[temporal ${level}] ${message} ${meta ? JSON.stringify(meta) : ''}\n`);
        }),
        // Core's "retried N times" warnings while the engine is down are the point of the test, not news.
        telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
        shutdownSignals: [],
      });
      const port = await freePort();
      const address = `127.0.0.1:${port}`;
      engine = await startEngine(port, true);
      const workflowBundle = await loadWorkflowBundle();
      // No SDK-side retries: `persist` is the only retry, so `tries` counts real RPC attempts.
      const connection = await Connection.connect({ address, interceptors: [] });
      const client = new Client({ connection });
      const native = await NativeConnection.connect({ address });
      const worker = await Worker.create({
        connection: native,
        taskQueue: 'crash',
        workflowBundle,
        activities,
        shutdownGraceTime: '2s',
        maxCachedWorkflows: 100,
      });
      const ids = Array.from({ length: WORKFLOWS }, (_, i) => `crash-${i}`);
      const acknowledged = { starts: new Set<string>(), signals: new Set<string>() };

      const drive = async (): Promise<void> => {
        // Starts and signals are spread over the killing phase; each is retried until acknowledged.
        await Promise.all(
          ids.map(async (id, i) => {
            await sleep(Math.random() * 10_000);
            try {
              await persist(() =>
                client.workflow.start('crashJob', {
                  taskQueue: 'crash',
                  workflowId: id,
                  args: [i, 100 + (i % 7) * 150],
                }),
              );
            } catch (err) {
              // An earlier try was applied but its answer was lost with the engine: the run exists, which is the point.
              if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
            }
            acknowledged.starts.add(id);
            await sleep(Math.random() * 10_000);
            let tries = 0;
            try {
              await persist(() => {
                tries += 1;
                return client.workflow.getHandle(id).signal(bonusSignal, i % 10);
              });
            } catch (err) {
              // A retry finding the run completed: an earlier try was applied (the run needs it to finish).
              if (!(err instanceof WorkflowNotFoundError) || tries === 1) throw err;
            }
            acknowledged.signals.add(id);
          }),
        );
      };
      let downtime = 0;
      const killer = async (): Promise<number> => {
        let kills = 0;
        while (kills < KILLS) {
          await sleep(300 + Math.random() * 900);
          await kill(engine as ChildProcess);
          kills += 1;
          const down = Date.now();
          engine = await startEngine(port, false);
          downtime += Date.now() - down;
        }
        return kills;
      };

      const results = await worker.runUntil(async () => {
        const [kills] = await Promise.all([killer(), drive()]);
        expect(kills).toBe(KILLS);
        return await Promise.all(
          ids.map((id) => persist(() => client.workflow.getHandle(id).result() as Promise<string>)),
        );
      });

      expect(acknowledged.starts.size).toBe(WORKFLOWS);
      expect(acknowledged.signals.size).toBe(WORKFLOWS);
      expect(results).toEqual(ids.map((_, i) => `${i}:${i * 2 + 1 + (i % 10)}`));
      for (const id of ids) {
        const history = await client.workflow.getHandle(id).fetchHistory();
        const types = (history.events ?? []).map((e) => e.eventType);
        // One run, closed once: no retry or continue-as-new, exactly one completion event.
        expect(types.filter((t) => t === 2 /* WORKFLOW_EXECUTION_COMPLETED */).length).toBe(1);
        expect(types.filter((t) => t === 26 /* WORKFLOW_EXECUTION_SIGNALED */).length).toBeGreaterThanOrEqual(1);
      }
      // Activities are at least once, as on Temporal: a started attempt stays started across a restart and the
      // worker's result for it is accepted, but a result whose RPC was cut by the kill (core does not retry a
      // reset connection) is lost, and the attempt is handed out again after its heartbeat timeout.
      const lines = readFileSync(executions, 'utf8').trim().split('\n');
      const successes = new Set(lines.filter((l) => l.endsWith(' ok')));
      const extra = lines.filter((l) => l.endsWith(' ok')).length - successes.size;
      process.stderr.write(
        `[crash] ${KILLS} kills (${downtime} ms down in all); ${lines.length} activity executions, ${extra} successes repeated after a lost result\n`,
      );
      expect([...successes].sort()).toEqual(ids.flatMap((id) => [`flaky ${id} ok`, `slow ${id} ok`]).sort());
      await connection.close();
      await native.close();
      // A deadline for a loaded CI machine (this test overlaps the other crash suites there), not a timing: ~55 s alone.
    }, 900_000);
  },
);

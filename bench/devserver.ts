/**
 * Embedded engine throughput and latency: N workflows, each one activity then one timer.
 *
 *   npx tsx bench/devserver.ts [--count 1000] [--timer-ms 100] [--same-process] [--db FILE]
 *
 * By default the engine runs in its own Node process (spawned with tsx) and the client and worker in
 * this one, like a real deployment on one host; `--same-process` puts all three in this process.
 * Prints workflows/second (first start call to last result) and the start → activity-started latency:
 * the client's time just before `workflow.start` against the activity's own clock at its first line.
 * `--db FILE` runs the engine persistent (every acknowledged RPC fsynced to FILE; the file is deleted
 * first so each run starts empty); without it the engine keeps everything in memory. The workflow is
 * bench/workflows/devserver.ts, bundled before anything is timed.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer } from '../src/devserver/index.js';
import { activityThenTimer } from './workflows/devserver.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    'timer-ms': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '100' },
    'same-process': { type: 'boolean', default: false },
    db: { type: 'string' },
  },
});
const dbPath = values.db ? path.resolve(values.db) : undefined;
if (dbPath) rmSync(dbPath, { force: true });
const count = Number(values.count);
const timerMs = Number(values['timer-ms']);
const concurrency = Number(values.concurrency);

interface Engine {
  address: string;
  mode: string;
  stop(): Promise<void>;
}

async function engineInChild(): Promise<Engine> {
  const script = `import('./src/devserver/index.ts').then((m) => m.startDevServer({ port: 0, dbPath: ${JSON.stringify(dbPath ?? ':memory:')} }))
    .then((s) => { process.stdout.write('ADDRESS ' + s.address + '\\n'); process.on('SIGTERM', () => s.stop().then(() => process.exit(0))); });`;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ADDRESS (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`engine process exited with ${code}`)));
  });
  return {
    address,
    mode: 'engine in a separate process; client and worker in this process',
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function engineInProcess(): Promise<Engine> {
  const server = await startDevServer({ port: 0, dbPath });
  return { address: server.address, mode: 'engine, client and worker in one process', stop: () => server.stop() };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const engine = values['same-process'] ? await engineInProcess() : await engineInChild();
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: path.join(root, 'bench', 'workflows', 'devserver.ts'),
    logger: new DefaultLogger('WARN'),
  });
  const nativeConnection = await NativeConnection.connect({ address: engine.address });
  const connection = await Connection.connect({ address: engine.address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `bench-${Date.now()}`;
  const activityStartedAt = new Map<string, number>();
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle,
    activities: {
      async benchActivity(n: number): Promise<number> {
        activityStartedAt.set(Context.current().info.workflowExecution?.workflowId ?? '', Date.now());
        return n * 2;
      },
    },
  });

  const runBatch = async (
    prefix: string,
    n: number,
    lanes = concurrency,
  ): Promise<{ elapsedMs: number; latencies: number[] }> => {
    const startCalledAt = new Map<string, number>();
    let next = 0;
    const began = performance.now();
    const lane = async (): Promise<void> => {
      for (let i = next++; i < n; i = next++) {
        const workflowId = `${prefix}-${i}`;
        startCalledAt.set(workflowId, Date.now());
        const handle = await client.workflow.start(activityThenTimer, { taskQueue, workflowId, args: [i, timerMs] });
        await handle.result();
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, n) }, lane));
    const elapsedMs = performance.now() - began;
    const latencies = [...startCalledAt].map(([id, t]) => (activityStartedAt.get(id) ?? NaN) - t).sort((a, b) => a - b);
    return { elapsedMs, latencies };
  };

  try {
    await worker.runUntil(async () => {
      await runBatch('warmup', 50);
      const idle = (await runBatch('idle', 50, 1)).latencies;
      const { elapsedMs, latencies } = await runBatch('bench', count, concurrency);
      console.log(
        `devserver bench: ${count} workflows (1 activity + 1 timer of ${timerMs} ms each), ${concurrency} in flight`,
      );
      console.log(
        `mode: ${engine.mode}; ${dbPath ? `persistent (${dbPath})` : 'in memory'}; ${cpus().length} CPUs, Node ${process.version}`,
      );
      console.log(
        `throughput: ${((count / elapsedMs) * 1000).toFixed(1)} workflows/s (${(elapsedMs / 1000).toFixed(2)} s total)`,
      );
      const fmt = (l: number[]) =>
        `p50 ${percentile(l, 50).toFixed(0)} ms, p99 ${percentile(l, 99).toFixed(0)} ms, max ${l.at(-1)?.toFixed(0)} ms`;
      console.log(`start -> first activity started, under that load: ${fmt(latencies)}`);
      console.log(`start -> first activity started, one workflow at a time (50 runs): ${fmt(idle)}`);
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
    await engine.stop();
  }
}

await main();

/**
 * The embedded engine against the official `temporal server start-dev`, in one run: N workflows, each one
 * activity then one timer.
 *
 *   npx tsx bench/devserver.ts [--count 200] [--concurrency 100] [--idle 30] [--timer-ms 100]
 *                              [--servers engine,temporal-cli] [--same-process] [--db DIR]
 *
 * For each server: throughput (workflows/s from the first start call to the last result, `--concurrency`
 * in flight) and the start → first-activity latency, one workflow at a time (`--idle` runs) and under that
 * load: the client's clock just before `workflow.start` against the activity's own at its first line.
 * Then the ratios engine / real server. The client and worker always run in this process; the engine in
 * its own Node process (spawned with tsx, like start-dev is its own process) unless `--same-process`.
 * Both keep everything in memory by default; `--db DIR` makes both persistent (the engine fsyncs every
 * acknowledged RPC to DIR/engine.db, start-dev writes SQLite DIR/temporal-cli.db; both deleted first).
 * Without the official binary the real server's half is skipped with a notice. The workflow is
 * bench/workflows/devserver.ts, bundled once before anything is timed.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer } from '../src/devserver/index.js';
import { TEMPORAL_CLI_MISSING, findTemporalCli, startTemporalCliServer } from '../src/temporal-cli/dev-server.js';
import { percentile } from './lib/stats.js';
import { printFigure } from './lib/target.js';
import { activityThenTimer } from './workflows/devserver.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '100' },
    idle: { type: 'string', default: '30' },
    'timer-ms': { type: 'string', default: '100' },
    servers: { type: 'string', default: 'engine,temporal-cli' },
    'same-process': { type: 'boolean', default: false },
    db: { type: 'string' },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const idleRuns = Number(values.idle);
const timerMs = Number(values['timer-ms']);
const dbDir = values.db === undefined ? undefined : path.resolve(values.db);
const dbFile = (name: string): string | undefined => {
  if (dbDir === undefined) return undefined;
  mkdirSync(dbDir, { recursive: true });
  const file = path.join(dbDir, name);
  rmSync(file, { force: true });
  return file;
};

type Kind = 'engine' | 'temporal-cli';
interface Server {
  address: string;
  mode: string;
  /** The server's own process (0 when it runs in this one). */
  pid: number;
  stop(): Promise<void>;
}

/** Extra Node flags for the engine process, e.g. `BENCH_ENGINE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p'`. */
const engineNodeArgs = (process.env.BENCH_ENGINE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

async function engineInChild(dbPath: string | undefined): Promise<Server> {
  const script = `import('./src/devserver/index.ts').then((m) => m.startDevServer({ port: 0, dbPath: ${JSON.stringify(dbPath ?? ':memory:')} }))
    .then((s) => { process.stdout.write('ADDRESS ' + s.address + '\\n'); process.on('SIGTERM', () => s.stop().then(() => process.exit(0))); });`;
  const child: ChildProcess = spawn(
    process.execPath,
    [...engineNodeArgs, '--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
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
    mode: 'own Node process',
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function startServer(kind: Kind): Promise<Server> {
  if (kind === 'temporal-cli') {
    const server = await startTemporalCliServer({ ui: false, dbFile: dbFile('temporal-cli.db') });
    return { address: server.address, mode: 'own process (start-dev, headless)', pid: server.pid, stop: server.stop };
  }
  const dbPath = dbFile('engine.db');
  if (!values['same-process']) return engineInChild(dbPath);
  const server = await startDevServer({ port: 0, dbPath });
  return { address: server.address, mode: 'this process', pid: 0, stop: () => server.stop() };
}

interface Figures {
  kind: Kind;
  mode: string;
  perSecond: number;
  elapsedMs: number;
  idle: number[];
  loaded: number[];
  /** CPU ms per workflow during the loaded batch: the server's process, and this one (client + worker). */
  serverCpuPerWf: number;
  selfCpuPerWf: number;
}

/** Starts `kind`, runs warm-up, the one-at-a-time runs and the loaded batch against it, stops it. */
async function measure(kind: Kind, workflowBundle: { code: string }): Promise<Figures> {
  const server = await startServer(kind);
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `bench-${kind}-${Date.now()}`;
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

  const runBatch = async (prefix: string, n: number, lanes: number) => {
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
    return await worker.runUntil(async () => {
      await runBatch('warmup', Math.min(50, count), concurrency);
      const idle = (await runBatch('idle', idleRuns, 1)).latencies;
      const serverCpu0 = server.pid ? processCpuMs(server.pid) : NaN;
      const selfCpu0 = selfCpuMs();
      const { elapsedMs, latencies } = await runBatch('bench', count, concurrency);
      return {
        kind,
        mode: server.mode,
        perSecond: (count / elapsedMs) * 1000,
        elapsedMs,
        idle,
        loaded: latencies,
        serverCpuPerWf: (server.pid ? processCpuMs(server.pid) - serverCpu0 : NaN) / count,
        selfCpuPerWf: (selfCpuMs() - selfCpu0) / count,
      };
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
}

/** CPU time (user + system, all threads) a process has used so far, in ms; NaN where /proc is missing. */
function processCpuMs(pid: number): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name; clock ticks of 10 ms.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

function selfCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const ms = (v: number): string => `${v.toFixed(0)} ms`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

function print(all: Figures[]): void {
  console.log(
    `devserver bench: ${count} workflows (1 activity + 1 timer of ${timerMs} ms), ${concurrency} in flight; ` +
      `${idleRuns} one at a time; ${dbDir ? `persistent (${dbDir})` : 'in memory'}; ` +
      `${cpus().length} CPUs, Node ${process.version}; client and worker in this process`,
  );
  for (const f of all) {
    console.log(`\n${f.kind} (${f.mode})`);
    console.log(`  throughput: ${f.perSecond.toFixed(1)} workflows/s (${(f.elapsedMs / 1000).toFixed(2)} s)`);
    console.log(
      `  start -> first activity, one at a time: p50 ${ms(percentile(f.idle, 50))}, p99 ${ms(percentile(f.idle, 99))}`,
    );
    console.log(
      `  start -> first activity, under load:    p50 ${ms(percentile(f.loaded, 50))}, p99 ${ms(percentile(f.loaded, 99))}`,
    );
    console.log(
      `  CPU per workflow (loaded batch): server ${f.serverCpuPerWf.toFixed(1)} ms, ` +
        `client + worker ${f.selfCpuPerWf.toFixed(1)} ms`,
    );
  }
  const engine = all.find((f) => f.kind === 'engine');
  const real = all.find((f) => f.kind === 'temporal-cli');
  if (engine !== undefined) {
    console.log('');
    printFigure({
      name: 'engine throughput',
      value: engine.perSecond,
      unit: 'wf/s',
      target: { limit: 300, atMost: false },
      ...(real === undefined ? {} : { baseline: { name: 'start-dev', value: real.perSecond } }),
    });
    // The figure the SDK alone allows here: its client and worker CPU per workflow over the cores there are.
    printFigure({
      name: 'client + worker CPU ceiling',
      value: (cpus().length * 1000) / engine.selfCpuPerWf,
      unit: 'wf/s',
      target: { limit: 300, atMost: false },
    });
  }
  if (engine === undefined || real === undefined) return;
  const p = (l: number[], q: number) => percentile(l, q);
  console.log('\nengine / real server (throughput: above 1 = engine faster; latency: below 1 = engine faster)');
  console.log(`  throughput ${ratio(engine.perSecond, real.perSecond)}`);
  console.log(
    `  one at a time: p50 ${ratio(p(engine.idle, 50), p(real.idle, 50))}, p99 ${ratio(p(engine.idle, 99), p(real.idle, 99))}`,
  );
  console.log(
    `  under load:    p50 ${ratio(p(engine.loaded, 50), p(real.loaded, 50))}, p99 ${ratio(p(engine.loaded, 99), p(real.loaded, 99))}`,
  );
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const kinds = values.servers.split(',').filter((k): k is Kind => k === 'engine' || k === 'temporal-cli');
  const runnable = kinds.filter((k) => k !== 'temporal-cli' || findTemporalCli() !== undefined);
  if (runnable.length < kinds.length) console.warn(`temporal-cli skipped: ${TEMPORAL_CLI_MISSING}`);
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: path.join(root, 'bench', 'workflows', 'devserver.ts'),
    logger: new DefaultLogger('WARN'),
  });
  const all: Figures[] = [];
  for (const kind of runnable) all.push(await measure(kind, workflowBundle));
  print(all);
}

await main();

/**
 * Ingest throughput and latency (issue 16), for native watching and for polling:
 *  - at once: `--count` flags (default 1,000) renamed into the inbox in one go (a synchronous loop, so the
 *    burst takes milliseconds and does not interleave with the ingest it measures);
 *  - one at a time: `--single` flags (default 100, native), each renamed once the previous one's start was
 *    acknowledged and its receipt written; polling, the baseline, does `--single-polling` (default 5) of them.
 *
 *   npx tsx bench/ingest.ts [--count 1000] [--single 100] [--single-polling 5] [--poll-interval 2s] [--mode native,polling]
 *
 * The engine runs in its own Node process, the ingest in this one. One flag name can wait per handler
 * and worker, so a burst is spread over count/8 worker ids (8 handlers each); no worker executes the
 * workflows: what is measured is the ingest up to Temporal's acknowledged start, from each flag's rename to
 * its workflow's start time (engine clock, same host). Checks that every flag started exactly one run and
 * none was rejected or reported duplicate.
 */
import { spawn } from 'node:child_process';
import { renameSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { Config } from '../src/config/schema.js';
import { HANDLERS, flagFileName } from '../src/flags/index.js';
import { startIngest } from '../src/ingest.js';
import type { Ingest, Receipt } from '../src/ingest.js';
import { percentile } from './lib/stats.js';
import { printFigure } from './lib/target.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    single: { type: 'string', default: '100' },
    'single-polling': { type: 'string', default: '5' },
    'poll-interval': { type: 'string', default: '2s' },
    mode: { type: 'string', default: 'native,polling' },
  },
});
const count = Number(values.count);
type Mode = 'native' | 'polling';

async function engineInChild(): Promise<{ address: string; stop(): Promise<void> }> {
  const script = `import('./src/devserver/index.ts').then((m) => m.startDevServer({ port: 0 }))
    .then((s) => { process.stdout.write('ADDRESS ' + s.address + '\\n'); process.on('SIGTERM', () => s.stop().then(() => process.exit(0))); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ADDRESS (\S+)/.exec(out);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`engine process exited with ${String(code)}`)));
  });
  return {
    address,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

interface Setup {
  nas: string;
  inbox: string;
  staging: string;
  ingest: Ingest;
  /** Resolves when the ingest accepted `taskId` (its start acknowledged, its receipt written). */
  accepted(taskId: string): Promise<void>;
}

async function setUp(client: Client, mode: Mode, workerIds: string[]): Promise<Setup> {
  const nas = await mkdtemp(path.join(tmpdir(), `bench-ingest-${mode}-`));
  const config = Config.parse({
    worker_id: workerIds[0],
    paths: { nas_root: nas },
    ingest: { polling: mode === 'polling', poll_interval: values['poll-interval'] },
  });
  const waiters = new Map<string, () => void>();
  const onAccepted = (receipt: Receipt): void => waiters.get(receipt.task_id)?.();
  const logger = pino({ level: 'warn' }, process.stderr);
  const ingest = await startIngest({ config, logger, client, workerIds, onAccepted });
  await ingest.idle();
  // Written beside the inbox first (same file system), so the measured part is the renames only.
  const staging = path.join(nas, 'staging');
  await mkdir(staging, { recursive: true });
  const accepted = (taskId: string): Promise<void> => new Promise((resolve) => waiters.set(taskId, resolve));
  return { nas, inbox: config.paths.inbox, staging, ingest, accepted };
}

/** Each workflow's start times (ms, engine clock), for the ids asked about. */
async function startTimes(client: Client, ids: ReadonlySet<string>): Promise<Map<string, number[]>> {
  const runs = new Map<string, number[]>();
  for await (const execution of client.workflow.list()) {
    if (!ids.has(execution.workflowId)) continue;
    runs.set(execution.workflowId, [...(runs.get(execution.workflowId) ?? []), execution.startTime.getTime()]);
  }
  return runs;
}

/** Rename → start delays (ascending), and a line saying whether every flag started exactly once. */
async function delaysOf(client: Client, renamedAt: Map<string, number>, outbox: string) {
  const runs = await startTimes(client, new Set(renamedAt.keys()));
  const twice = [...runs.values()].filter((starts) => starts.length > 1).length;
  const delays = [...runs].map(([id, starts]) => (starts[0] ?? 0) - (renamedAt.get(id) ?? 0)).sort((a, b) => a - b);
  const lastStart = Math.max(...[...runs.values()].map((starts) => starts[0] ?? 0));
  // Receipts are under Worker_Outbox/<workerId>/.
  const receipts = await readdir(outbox, { recursive: true });
  const duplicates = receipts.filter((f) => f.endsWith('.duplicate.json')).length;
  const check =
    `${String(runs.size)}/${String(renamedAt.size)} started, ${String(twice)} twice, ${String(duplicates)} duplicate, ` +
    `${receipts.includes('rejected') ? 'SOME' : 'none'} rejected`;
  return { delays, lastStart, check };
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;
const spread = (delays: number[]): string =>
  `rename → started p50 ${ms(percentile(delays, 50))}, p99 ${ms(percentile(delays, 99))}, max ${ms(delays.at(-1) ?? Number.NaN)}`;

/** `count` flags renamed at once; returns ms from the first rename to the last start. */
async function atOnce(client: Client, mode: Mode): Promise<number> {
  const workerIds = Array.from({ length: Math.ceil(count / HANDLERS.length) }, (_, i) => `B${String(i)}`);
  const setup = await setUp(client, mode, workerIds);
  const flags: { name: string; workflowId: string }[] = [];
  for (let i = 0; i < count; i += 1) {
    const workerId = workerIds[Math.floor(i / HANDLERS.length)] ?? '';
    const handler = HANDLERS[i % HANDLERS.length] ?? 'diagnostics';
    const taskId = `bench_${mode}_${String(i)}`;
    const name = flagFileName(handler, workerId);
    await writeFile(path.join(setup.staging, name), JSON.stringify({ task_id: taskId, handler }));
    flags.push({ name, workflowId: `${workerId}/${taskId}` });
  }
  const renamedAt = new Map<string, number>();
  for (const flag of flags) {
    renameSync(path.join(setup.staging, flag.name), path.join(setup.inbox, flag.name));
    renamedAt.set(flag.workflowId, Date.now());
  }
  const firstRename = Math.min(...renamedAt.values());
  while ((await readdir(setup.inbox)).length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  await setup.ingest.stop();
  const { delays, lastStart, check } = await delaysOf(client, renamedAt, path.join(setup.nas, 'Worker_Outbox'));
  const total = lastStart - firstRename;
  process.stdout.write(
    `${mode.padEnd(7)} at once:  ${check}; ${(delays.length / (total / 1000)).toFixed(0)} flags/s, all started ` +
      `${ms(total)} after the first rename; ${spread(delays)}` +
      (mode === 'polling' ? ` (poll interval ${values['poll-interval']}; a file is read after two equal looks)` : '') +
      '\n',
  );
  await rm(setup.nas, { recursive: true, force: true });
  return total;
}

/** `n` flags, each renamed once the previous one was accepted; returns the delays (ascending). */
async function oneAtATime(client: Client, mode: Mode, n: number): Promise<number[]> {
  const setup = await setUp(client, mode, ['S0']);
  const name = flagFileName('diagnostics', 'S0');
  const renamedAt = new Map<string, number>();
  for (let i = 0; i < n; i += 1) {
    const taskId = `single_${mode}_${String(i)}`;
    const staged = path.join(setup.staging, name);
    await writeFile(staged, JSON.stringify({ task_id: taskId, handler: 'diagnostics' }));
    const accepted = setup.accepted(taskId);
    await rename(staged, path.join(setup.inbox, name));
    renamedAt.set(`S0/${taskId}`, Date.now());
    await accepted;
  }
  await setup.ingest.stop();
  const { delays, check } = await delaysOf(client, renamedAt, path.join(setup.nas, 'Worker_Outbox'));
  process.stdout.write(`${mode.padEnd(7)} one at a time: ${check}; ${spread(delays)}\n`);
  await rm(setup.nas, { recursive: true, force: true });
  return delays;
}

const modes = values.mode.split(',').map((m): Mode => (m === 'polling' ? 'polling' : 'native'));
const engine = await engineInChild();
const connection = await Connection.connect({ address: engine.address });
const client = new Client({ connection, namespace: 'default' });
try {
  process.stdout.write(`ingest bench: engine in a separate process, ingest in this one\n`);
  const burst = new Map<Mode, number>();
  const single = new Map<Mode, number[]>();
  for (const mode of modes) burst.set(mode, await atOnce(client, mode));
  for (const mode of modes)
    single.set(
      mode,
      await oneAtATime(client, mode, Number(mode === 'native' ? values.single : values['single-polling'])),
    );
  const polling = (value: number | undefined) => (value === undefined ? undefined : { name: 'polling', value });
  const pollingSingle = single.get('polling');
  for (const mode of modes)
    printFigure({
      name: `ingest ${String(count)} at once, ${mode}`,
      value: (burst.get(mode) ?? Number.NaN) / 1000,
      unit: 's',
      target: { limit: 5, atMost: true },
      ...(mode === 'native' ? { baseline: polling((burst.get('polling') ?? Number.NaN) / 1000) } : {}),
    });
  const native = single.get('native');
  if (native !== undefined)
    for (const [p, limit] of [
      [50, 20],
      [99, 100],
    ] as const)
      printFigure({
        name: `ingest one at a time, native p${String(p)}`,
        value: percentile(native, p),
        unit: 'ms',
        target: { limit, atMost: true },
        baseline: polling(pollingSingle === undefined ? undefined : percentile(pollingSingle, p)),
      });
} finally {
  await connection.close();
  await engine.stop();
}

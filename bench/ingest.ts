/**
 * Ingest throughput and latency: 1,000 flags renamed into the inbox at once, for native watching and for
 * polling.
 *
 *   npx tsx bench/ingest.ts [--count 1000] [--poll-interval 2s] [--mode native,polling]
 *
 * The engine runs in its own Node process, the ingest in this one. One flag name can wait per handler
 * and worker, so the flags are spread over count/8 worker ids (8 handlers each); no worker executes the
 * workflows: what is measured is the ingest up to Temporal's acknowledged start. Prints flags/s (first
 * rename to last start) and the delay from each flag's rename to its workflow's start time (engine clock,
 * same host). Checks that every flag started exactly one run and none was rejected or reported duplicate.
 */
import { spawn } from 'node:child_process';
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

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    'poll-interval': { type: 'string', default: '2s' },
    mode: { type: 'string', default: 'native,polling' },
  },
});
const count = Number(values.count);

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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function runMode(client: Client, mode: 'native' | 'polling'): Promise<void> {
  const nas = await mkdtemp(path.join(tmpdir(), `bench-ingest-${mode}-`));
  const workerIds = Array.from({ length: Math.ceil(count / HANDLERS.length) }, (_, i) => `B${String(i)}`);
  const config = Config.parse({
    worker_id: workerIds[0],
    paths: { nas_root: nas },
    ingest: { polling: mode === 'polling', poll_interval: values['poll-interval'] },
  });
  const logger = pino({ level: 'warn' }, process.stderr);
  const ingest = await startIngest({ config, logger, client, workerIds });
  await ingest.idle();
  // Written beside the inbox first (same file system), so the measured part is the renames only.
  const staging = path.join(nas, 'staging');
  await mkdir(staging, { recursive: true });
  const flags: { name: string; workflowId: string }[] = [];
  for (let i = 0; i < count; i += 1) {
    const workerId = workerIds[Math.floor(i / HANDLERS.length)] ?? '';
    const handler = HANDLERS[i % HANDLERS.length] ?? 'diagnostics';
    const taskId = `bench_${mode}_${String(i)}`;
    const name = flagFileName(handler, workerId);
    await writeFile(path.join(staging, name), JSON.stringify({ task_id: taskId, handler }));
    flags.push({ name, workflowId: `${workerId}/${taskId}` });
  }
  const renamedAt = new Map<string, number>();
  for (const flag of flags) {
    await rename(path.join(staging, flag.name), path.join(config.paths.inbox, flag.name));
    renamedAt.set(flag.workflowId, Date.now());
  }
  const firstRename = Math.min(...renamedAt.values());
  for (;;) {
    if ((await readdir(config.paths.inbox)).length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await ingest.stop();
  const runs = new Map<string, number[]>();
  for await (const execution of client.workflow.list()) {
    if (!renamedAt.has(execution.workflowId)) continue;
    runs.set(execution.workflowId, [...(runs.get(execution.workflowId) ?? []), execution.startTime.getTime()]);
  }
  const twice = [...runs.values()].filter((starts) => starts.length > 1).length;
  const delays = [...runs].map(([id, starts]) => (starts[0] ?? 0) - (renamedAt.get(id) ?? 0)).sort((a, b) => a - b);
  const lastStart = Math.max(...[...runs.values()].map((starts) => starts[0] ?? 0));
  // Receipts are under Worker_Outbox/<workerId>/.
  const outbox = await readdir(config.paths.outbox, { recursive: true });
  const seconds = (lastStart - firstRename) / 1000;
  process.stdout.write(
    `${mode.padEnd(7)} ${String(runs.size)}/${String(count)} started, ${String(twice)} twice, ` +
      `${String(outbox.filter((f) => f.endsWith('.duplicate.json')).length)} duplicate, ${outbox.includes('rejected') ? 'SOME' : 'none'} rejected; ` +
      `${(runs.size / seconds).toFixed(0)} flags/s; rename → started p50 ${percentile(delays, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(delays, 99).toFixed(0)} ms, max ${String(delays.at(-1) ?? Number.NaN)} ms` +
      (mode === 'polling' ? ` (poll interval ${values['poll-interval']}; a file is read after two equal looks)` : '') +
      '\n',
  );
  await rm(nas, { recursive: true, force: true });
}

const engine = await engineInChild();
const connection = await Connection.connect({ address: engine.address });
const client = new Client({ connection, namespace: 'default' });
try {
  process.stdout.write(`ingest bench: ${String(count)} flags, engine in a separate process, ingest in this one\n`);
  for (const mode of values.mode.split(',')) await runMode(client, mode === 'polling' ? 'polling' : 'native');
} finally {
  await connection.close();
  await engine.stop();
}

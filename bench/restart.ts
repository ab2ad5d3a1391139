/**
 * Restart delay: SIGKILL of the watcher → the new watcher's first heartbeat, for the supervisor's
 * keep-alive and, on the same host in the same run, for supervisord and PM2 supervising the same
 * sample watcher (examples/sample-watcher.mjs, which beats once at start).
 *
 *   npx tsx bench/restart.ts [--count 20] [--only temporal,temporal-fast,supervisord,pm2]
 *
 * Each kill waits for a settled watcher first (up longer than every supervisor's "healthy run" threshold:
 * supervisord startsecs, the keep-alive's backoff reset), so every restart is a first restart and no
 * backoff is measured. The delay is the new heartbeat's own unix_ts minus the kill time (same clock).
 * `temporal` uses the production defaults (the worker learns of the death of the watcher it started at once;
 * the watch poll is the fallback); `temporal-fast` a 50 ms poll and a 100 ms gather window. The `target` lines
 * (bench/lib/target.ts) give the defaults' p50 and p99 against issue 16's targets and against PM2's same-run figures.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { execa } from 'execa';
import { Config } from '../src/config/schema.js';
import { withKeepAlive } from './lib/keep-alive-host.js';
import { percentile } from './lib/stats.js';
import { printFigure } from './lib/target.js';
import { readBeat, until } from './lib/wait.js';
import { SUPERVISORD, supervisordMissing, writeSupervisordConf } from './lib/supervisord.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLE = path.join(root, 'examples', 'sample-watcher.mjs');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20' },
    only: { type: 'string', default: 'temporal,temporal-fast,supervisord,pm2' },
  },
});
const count = Number(values.count);
const only = new Set((values.only ?? '').split(','));
const SETTLE_MS = 1_500;

/** Kills the beating watcher `count` times; returns each kill → new first beat delay in ms, sorted. */
async function measure(name: string, heartbeatFile: string): Promise<number[]> {
  const delays: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const beat = await until(`${name}: a watcher`, async () => {
      const body = await readBeat(heartbeatFile);
      return body !== undefined && Date.now() - body.unix_ts * 1000 < 10_000 ? body : undefined;
    });
    await sleep(SETTLE_MS);
    const killedAt = Date.now();
    process.kill(beat.pid, 'SIGKILL');
    const next = await until(`${name}: restart ${index + 1}`, async () => {
      const body = await readBeat(heartbeatFile);
      return body !== undefined && body.pid !== beat.pid ? body : undefined;
    });
    delays.push(next.unix_ts * 1000 - killedAt);
  }
  return delays.sort((a, b) => a - b);
}

async function temporal(dir: string, fast: boolean): Promise<number[]> {
  const config = Config.parse({
    worker_id: fast ? 'bench-fast' : 'bench',
    paths: { nas_root: path.join(dir, fast ? 'nas-fast' : 'nas') },
    watcher: { command: process.execPath, args: [SAMPLE], cwd: dir, stop_timeout: '2s' },
    // A roomy budget and a backoff that resets within the settle time: each kill is a first restart.
    health: {
      restart_budget: { max_restarts: 100_000, window: '1m' },
      backoff: { initial: '1s', max: '1m', reset_after: '1s' },
    },
  });
  const options = fast ? { tuning: { pollMs: 50 }, lock: { gatherMs: 100 } } : {};
  return withKeepAlive(config, options, () =>
    measure(fast ? 'temporal-fast' : 'temporal', config.watcher.heartbeat_file),
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
}

async function supervisord(dir: string): Promise<number[] | string> {
  const missing = await supervisordMissing();
  if (missing !== undefined) return missing;
  const heartbeatFile = path.join(dir, 'supervisord', 'heartbeat.json');
  const conf = await writeSupervisordConf(dir, [
    '[program:watcher]',
    `command=${process.execPath} ${SAMPLE} ${heartbeatFile}`,
    'autorestart=true',
    'startsecs=1',
    'startretries=100000',
    `stdout_logfile=${path.join(dir, 'supervisord-watcher.log')}`,
    'redirect_stderr=true',
  ]);
  const child = spawn(SUPERVISORD, ['-c', conf], { stdio: 'ignore' });
  try {
    return await measure('supervisord', heartbeatFile);
  } finally {
    await stopChild(child);
  }
}

async function pm2(dir: string): Promise<number[] | string> {
  const bin = path.join(root, 'node_modules', '.bin', 'pm2');
  if (!existsSync(bin)) return 'skipped: node_modules/.bin/pm2 is missing (the lead may add pm2 as a devDependency)';
  const heartbeatFile = path.join(dir, 'pm2', 'heartbeat.json');
  const env = { ...process.env, PM2_HOME: path.join(dir, 'pm2-home') };
  await execa(
    bin,
    ['start', SAMPLE, '--name', 'bench-watcher', '--interpreter', process.execPath, '--', heartbeatFile],
    { env },
  );
  try {
    return await measure('pm2', heartbeatFile);
  } finally {
    await execa(bin, ['kill'], { env, reject: false });
  }
}

Runtime.install({ logger: new DefaultLogger('ERROR') });
const dir = await mkdtemp(path.join(tmpdir(), 'bench-restart-'));
const results = new Map<string, number[] | string>();
try {
  process.stdout.write(
    `restart bench: ${String(count)} SIGKILLs each, sample watcher, delay = kill → new watcher's first heartbeat\n`,
  );
  if (only.has('temporal')) results.set('temporal', await temporal(dir, false));
  if (only.has('temporal-fast')) results.set('temporal-fast', await temporal(dir, true));
  if (only.has('supervisord')) results.set('supervisord', await supervisord(dir));
  if (only.has('pm2')) results.set('pm2', await pm2(dir));
} finally {
  await rm(dir, { recursive: true, force: true });
}

const base = results.get('temporal');
for (const [name, result] of results) {
  if (typeof result === 'string') {
    process.stdout.write(`${name.padEnd(14)} ${result}\n`);
    continue;
  }
  const p50 = percentile(result, 50);
  const p99 = percentile(result, 99);
  const ratio =
    Array.isArray(base) && name !== 'temporal'
      ? `; temporal/${name} p50 ×${(percentile(base, 50) / p50).toFixed(2)}, p99 ×${(percentile(base, 99) / p99).toFixed(2)}`
      : '';
  process.stdout.write(
    `${name.padEnd(14)} p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${String(Math.round(result.at(-1) ?? Number.NaN))} ms${ratio}\n`,
  );
}

/** Issue 16's restart targets: the defaults' p50 and p99, each against PM2's in this run when it ran. */
const peer = results.get('pm2');
if (Array.isArray(base)) {
  for (const [at, limit] of [
    [50, 100],
    [99, 250],
  ] as const) {
    printFigure({
      name: `restart p${String(at)} (defaults)`,
      value: percentile(base, at),
      unit: 'ms',
      target: { limit, atMost: true },
      ...(Array.isArray(peer) ? { baseline: { name: 'pm2', value: percentile(peer, at) } } : {}),
    });
  }
}

/**
 * Idle cost of the all-in-one process (`supervisor start`: embedded engine, worker, keep-alive, health
 * schedule, ingest and http in one process, on the built-in defaults), once it is ready and has settled:
 * RSS, peak RSS (VmHWM, start-up included) and CPU % of one core over the window, from /proc, of the process
 * `npm start` runs. The watcher
 * it supervises (the sample watcher) is reported on its own line; PM2's daemon supervising the same sample
 * watcher, sampled in the same window, is the baseline. A second window, with the keep-alive terminated and
 * the health schedule paused (nothing then runs the keep-alive's watch), tells the watch's share.
 *
 *   npx tsx bench/idle.ts [--seconds 60] [--settle 10] [--only supervisor,pm2,without-watch] [--cpu-prof DIR]
 *
 * --cpu-prof DIR runs the supervisor with node --cpu-prof (written to DIR when it stops): what wakes it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import { healthScheduleId, keepAliveWorkflowId } from '../src/contract/ids.js';
import { root } from '../test/helpers/dist.js';
import { descendantRunning, idleCost } from './lib/proc.js';
import type { IdleCost } from './lib/proc.js';
import { startSupervisor } from './lib/supervisor-process.js';
import { printFigure } from './lib/target.js';
import { readBeat, until } from './lib/wait.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    settle: { type: 'string', default: '10' },
    only: { type: 'string', default: 'supervisor,pm2,without-watch' },
    'cpu-prof': { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const only = new Set((values.only ?? '').split(','));
const SAMPLE = path.join(root, 'examples', 'sample-watcher.mjs');
const PM2 = path.join(root, 'node_modules', '.bin', 'pm2');
const LAUNCHER = path.join(root, 'scripts', 'supervisor.mjs');

/** PM2's daemon supervising the sample watcher; its pid and how to stop it. */
async function startPm2(dir: string): Promise<{ pid: number; stop(): Promise<void> } | undefined> {
  if (!existsSync(PM2)) return undefined;
  const env = { ...process.env, PM2_HOME: path.join(dir, 'pm2-home') };
  const heartbeat = path.join(dir, 'pm2-heartbeat.json');
  await execa(PM2, ['start', SAMPLE, '--name', 'idle-watcher', '--interpreter', process.execPath, '--', heartbeat], {
    env,
  });
  const pid = Number((await readFile(path.join(env.PM2_HOME, 'pm2.pid'), 'utf8')).trim());
  return { pid, stop: async () => void (await execa(PM2, ['kill'], { env, reject: false })) };
}

/** Ends what runs the keep-alive's watch: the keep-alive, and the health schedule that would start it again. */
async function stopKeepAlive(address: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    await client.schedule.getHandle(healthScheduleId('bench')).pause('idle bench: without the watch');
    await client.workflow.getHandle(keepAliveWorkflowId('bench')).terminate('idle bench: without the watch');
  } finally {
    await connection.close();
  }
}

/** `npm start` as the README runs it, or with --cpu-prof its command with node's profiler. */
const cpuProf = values['cpu-prof'];
const startCommand: [string, (config: string) => string[]] =
  cpuProf === undefined
    ? ['npm', (config) => ['start', '--silent', '--', '--config', config]]
    : [process.execPath, (config) => ['--cpu-prof', '--cpu-prof-dir', cpuProf, LAUNCHER, '--config', config, 'start']];
const dir = await mkdtemp(path.join(tmpdir(), 'bench-idle-'));
const pm2 = only.has('pm2') ? await startPm2(dir) : undefined;
const supervisor = only.has('supervisor') ? await startSupervisor(...startCommand, root) : undefined;
try {
  const watcher = supervisor
    ? await until(
        'ready',
        async () =>
          supervisor.logged('ingest watching the inbox') === undefined ? undefined : readBeat(supervisor.heartbeatFile),
        { timeoutMs: 120_000, everyMs: 20, child: supervisor.child },
      )
    : undefined;
  await sleep(Number(values.settle) * 1000);
  const measured: [string, number][] = [];
  // npm and its shell are not the supervisor: the process that runs the launcher is.
  const pid =
    supervisor?.child.pid === undefined
      ? undefined
      : await descendantRunning(supervisor.child.pid, 'scripts/supervisor.mjs');
  if (pid !== undefined) measured.push(['supervisor start', pid]);
  if (watcher !== undefined) measured.push(['its watcher (sample)', watcher.pid]);
  if (pm2 !== undefined) measured.push(['pm2 daemon', pm2.pid]);
  process.stdout.write(
    `idle bench: ${String(seconds)} s idle after ready + ${String(values.settle)} s, sampled together\n`,
  );
  const costs = new Map<string, IdleCost>(
    (
      await idleCost(
        measured.map(([, pid]) => pid),
        seconds,
      )
    ).map((cost, index) => [measured[index]?.[0] ?? '', cost]),
  );
  if (supervisor !== undefined && pid !== undefined && only.has('without-watch')) {
    await stopKeepAlive(supervisor.engineAddress);
    await sleep(Number(values.settle) * 1000);
    const [without] = await idleCost([pid], seconds);
    if (without !== undefined) costs.set('supervisor start, no keep-alive watch', without);
  }
  const base = costs.get('pm2 daemon');
  const baseline = (value: number | undefined) => (value === undefined ? undefined : { name: 'pm2 daemon', value });
  for (const [name, cost] of costs) {
    const ours = name.startsWith('supervisor start');
    const rows: [string, number, string, number | undefined, number | undefined][] = [
      ['idle RSS', cost.rss, 'MB', 150, base?.rss],
      ['peak RSS', cost.peak, 'MB', undefined, base?.peak],
      ['idle CPU', cost.cpuPercent, '% of a core', 1, base?.cpuPercent],
    ];
    for (const [figure, value, unit, limit, peer] of rows)
      printFigure({
        name: `${name} ${figure}`,
        value,
        unit,
        target: ours && limit !== undefined ? { limit, atMost: true } : undefined,
        baseline: ours ? baseline(peer) : undefined,
      });
  }
} finally {
  await supervisor?.stop();
  await pm2?.stop();
  await rm(dir, { recursive: true, force: true });
}

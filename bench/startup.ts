/**
 * Start-up: process start → ready, for `supervisor start` on the built-in defaults (embedded engine, sample
 * watcher, ingest, http; free ports and a fresh temp folder per start, so every start is a first start).
 * Ready = the watcher's first heartbeat (its own unix_ts) and the ingest's "ingest watching the inbox" line,
 * whichever comes last. `node -e 0` in the same run is the floor every Node program pays.
 *
 *   npx tsx bench/startup.ts [--count 5] [--only npm,dist,tsx,node]
 *
 * `npm` is `npm start` as the README runs it; `dist` the built CLI (`node dist/cli/main.js start`); `tsx`
 * the source through tsx (what `npm start` ran before it used dist/). The bundle is the prebuilt one
 * (`npm run build`). Runs are interleaved so a busy moment of the machine hits every mode alike.
 */
import { execa } from 'execa';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { distProblem, root } from '../test/helpers/dist.js';
import { startSupervisor } from './lib/supervisor-process.js';
import type { StartedSupervisor } from './lib/supervisor-process.js';
import { percentile } from './lib/stats.js';
import { printFigure } from './lib/target.js';
import { readBeat, until } from './lib/wait.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '5' }, only: { type: 'string', default: 'npm,dist,tsx,node' } },
});
const count = Number(values.count);
const only = new Set((values.only ?? '').split(','));
const TARGET_MS = 3_000;
const DIST = path.join(root, 'dist/cli/main.js');
const TSX = path.join(root, 'node_modules/.bin/tsx');

interface Mode {
  key: string;
  command: string;
  args: (config: string) => string[];
}

const allModes: Mode[] = [
  { key: 'npm', command: 'npm', args: (config) => ['start', '--silent', '--', '--config', config] },
  { key: 'dist', command: process.execPath, args: (config) => [DIST, '--config', config, 'start'] },
  { key: 'tsx', command: TSX, args: (config) => [path.join(root, 'src/cli/main.ts'), '--config', config, 'start'] },
];
const modes = allModes.filter((mode) => only.has(mode.key));

interface Run {
  ready: number;
  phases: Record<string, number>;
}

async function once(mode: Mode): Promise<Run> {
  const started = await startSupervisor(mode.command, mode.args, root);
  try {
    return await measured(started);
  } catch (error) {
    throw new Error(`${mode.key}: ${String(error)}\n${started.stderrTail()}`, { cause: error });
  } finally {
    await started.stop();
  }
}

/** How the bench waits on a started supervisor: up to 2 min, every 20 ms, and not past its exit. */
const waiting = (started: StartedSupervisor) => ({ timeoutMs: 120_000, everyMs: 20, child: started.child });

async function measured(started: StartedSupervisor): Promise<Run> {
  const watching = await until(
    'ingest watching',
    async () => started.logged('ingest watching the inbox'),
    waiting(started),
  );
  const beat = await until('first heartbeat', () => readBeat(started.heartbeatFile), waiting(started));
  const at = (text: string): number => (started.logged(text) ?? Number.NaN) - started.spawnedAt;
  const beatAt = beat.unix_ts * 1000 - started.spawnedAt;
  return {
    ready: Math.max(watching - started.spawnedAt, beatAt),
    phases: {
      'first log line': at('configuration valid'),
      'engine listening': at('embedded Temporal engine listening'),
      'worker ready': at('worker ready'),
      'ingest watching': watching - started.spawnedAt,
      'watcher first beat': beatAt,
    },
  };
}

async function emptyNode(): Promise<number> {
  const started = performance.now();
  await execa(process.execPath, ['-e', '0']);
  return performance.now() - started;
}

const problem = distProblem();
if (problem !== undefined && (only.has('dist') || only.has('npm')))
  process.stdout.write(`note: ${problem} (npm start then runs from source)\n`);
process.stdout.write(
  `startup bench: ${String(count)} starts of each mode, interleaved; ready = ingest watching + first beat\n`,
);
const runs = new Map<string, Run[]>(modes.map((mode) => [mode.key, []]));
const empty: number[] = [];
for (let index = 0; index < count; index += 1) {
  for (const mode of modes) runs.get(mode.key)?.push(await once(mode));
  if (only.has('node')) empty.push(await emptyNode());
}

empty.sort((a, b) => a - b);
const baseline = empty.length > 0 ? { name: 'node -e 0 p50', value: percentile(empty, 50) } : undefined;
if (baseline !== undefined) printFigure({ name: 'node -e 0 start → exit p50', value: baseline.value, unit: 'ms' });
for (const [key, list] of runs) {
  const ready = list.map((run) => run.ready).sort((a, b) => a - b);
  const target = { limit: TARGET_MS, atMost: true };
  printFigure({ name: `start ${key} → ready p50`, value: percentile(ready, 50), unit: 'ms', target, baseline });
  printFigure({ name: `start ${key} → ready max`, value: ready.at(-1) ?? Number.NaN, unit: 'ms', target, baseline });
  const phases = Object.keys(list[0]?.phases ?? {}).map((phase) => {
    const sorted = list.map((run) => run.phases[phase] ?? Number.NaN).sort((a, b) => a - b);
    return `${phase} ${percentile(sorted, 50).toFixed(0)}`;
  });
  process.stdout.write(`        ${key} phases, p50 ms after spawn: ${phases.join(', ')}\n`);
}

/**
 * Hang recovery: a watcher SIGSTOPped right after a heartbeat → detected (the keep-alive's `watcher_hung` audit
 * row) and replaced (the new watcher's first heartbeat), each minus the SIGSTOP time, against issue 16's
 * targets: detected within hang_timeout + 1 s, replaced within hang_timeout + 2 s. Defaults (hang_timeout 30 s,
 * stop_timeout 30 s, hang_stop_timeout 5 s, watch poll), but a backoff that resets within the settle time so
 * every hang is a first restart. Supervisord and PM2 never replace a hung process: there is no peer figure.
 *
 *   npx tsx bench/hang.ts [--count 3] [--hang-timeout 30s]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { Config } from '../src/config/schema.js';
import { Duration } from '../src/config/units.js';
import { auditFileOf } from '../src/nas/paths.js';
import { withKeepAlive } from './lib/keep-alive-host.js';
import { percentile } from './lib/stats.js';
import { printFigure } from './lib/target.js';
import { readBeat, until } from './lib/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLE = path.join(root, 'examples', 'sample-watcher.mjs');
const { values } = parseArgs({
  options: { count: { type: 'string', default: '3' }, 'hang-timeout': { type: 'string', default: '30s' } },
});
const count = Number(values.count);

/** `at` of the n-th watcher_hung row of the audit file, in ms. */
async function hungAt(config: Config, nth: number): Promise<number | undefined> {
  const text = (await readFile(auditFileOf(config.paths.logs), 'utf8').catch(() => '')).trim();
  const rows = text === '' ? [] : text.split('\n').map((line) => JSON.parse(line) as { action: string; at: string });
  const hung = rows.filter((row) => row.action === 'watcher_hung')[nth];
  return hung === undefined ? undefined : Date.parse(hung.at);
}

const dir = await mkdtemp(path.join(tmpdir(), 'bench-hang-'));
Runtime.install({ logger: new DefaultLogger('ERROR') });
const asked = Duration.parse(values['hang-timeout']);
const config = Config.parse({
  worker_id: 'bench-hang',
  paths: { nas_root: path.join(dir, 'nas') },
  watcher: {
    command: process.execPath,
    args: [SAMPLE],
    cwd: dir,
    hang_timeout: values['hang-timeout'],
    // The sample's 5 s beat, or more often under a short hang timeout: a healthy watcher must not look hung.
    env: { WATCHER_INTERVAL_MS: String(Math.min(5_000, Math.floor(asked / 4))) },
  },
  health: { restart_budget: { max_restarts: 100_000, window: '1m' }, backoff: { reset_after: '1s' } },
});
const hangMs = config.watcher.hang_timeout;
const heartbeatFile = config.watcher.heartbeat_file;
const detected: number[] = [];
const replaced: number[] = [];
process.stdout.write(`hang bench: ${String(count)} SIGSTOPs, hang_timeout ${String(hangMs)} ms, sample watcher\n`);
try {
  await withKeepAlive(config, {}, async () => {
    for (let index = 0; index < count; index += 1) {
      await until('a watcher', () => readBeat(heartbeatFile), { timeoutMs: 60_000 });
      await sleep(1_500);
      const first = await until('a watcher', () => readBeat(heartbeatFile), { timeoutMs: 60_000 });
      // Right after a beat: the hang timeout then runs from the stop, not from a beat seconds before it.
      const fresh = await until(
        'a fresh beat',
        async () => {
          const beat = await readBeat(heartbeatFile);
          return beat !== undefined && beat.pid === first.pid && beat.unix_ts > first.unix_ts ? beat : undefined;
        },
        { timeoutMs: 60_000 },
      );
      const stoppedAt = Date.now();
      process.kill(fresh.pid, 'SIGSTOP');
      const next = await until(
        `replacement ${String(index + 1)}`,
        async () => {
          const beat = await readBeat(heartbeatFile);
          return beat !== undefined && beat.pid !== fresh.pid ? beat : undefined;
        },
        { timeoutMs: hangMs + 120_000 },
      );
      replaced.push(next.unix_ts * 1000 - stoppedAt);
      detected.push(
        (await until('the watcher_hung row', () => hungAt(config, index), { timeoutMs: 10_000 })) - stoppedAt,
      );
    }
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}

for (const [name, samples, extraMs] of [
  ['hang detected', detected, 1_000],
  ['hang replaced', replaced, 2_000],
] as const) {
  const sorted = [...samples].sort((a, b) => a - b);
  process.stdout.write(
    `${name.padEnd(14)} p50 ${percentile(sorted, 50).toFixed(0)} ms, max ${(sorted.at(-1) ?? Number.NaN).toFixed(0)} ms (after the SIGSTOP)\n`,
  );
  printFigure({
    name: `${name} (worst of ${String(count)})`,
    value: sorted.at(-1) ?? Number.NaN,
    unit: 'ms',
    target: { limit: hangMs + extraMs, atMost: true },
  });
}

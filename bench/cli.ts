/**
 * CLI latency: wall time of one `supervisor` invocation (the built dist, `node dist/cli/main.js`), from
 * spawn to exit, next to `supervisorctl status` and `pm2 jlist` on the same host in the same run, and
 * `node -e 0` as the floor every Node program pays. `status` and `flag` run against an embedded engine
 * started here (so `status` makes its real Temporal round trips) and a temp NAS root.
 *
 *   npx tsx bench/cli.ts [--count 20] [--only version,help,status,flag,node,supervisorctl,pm2]
 *
 * Runs are interleaved (one of each, `count` times) so a busy moment of the machine hits all alike.
 * Targets (issue 13): --help and --version ≤ 150 ms; status and flag ≤ 400 ms plus the round trips.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { prepareFolders } from '../src/config/folders.js';
import { Config } from '../src/config/schema.js';
import { startDevServer } from '../src/devserver/index.js';
import { distMain, distProblem, root } from '../test/helpers/dist.js';
import { percentile } from './lib/stats.js';
import { SUPERVISORCTL, SUPERVISORD, supervisordMissing, writeSupervisordConf } from './lib/supervisord.js';

const SAMPLE = path.join(root, 'examples', 'sample-watcher.mjs');
const PM2 = path.join(root, 'node_modules', '.bin', 'pm2');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20' },
    only: { type: 'string', default: 'version,help,status,flag,node,supervisorctl,pm2' },
  },
});
const count = Number(values.count);
const only = new Set((values.only ?? '').split(','));

interface Case {
  /** Its name in --only. */
  key: string;
  name: string;
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Untimed, after each run: puts back what the run changed. */
  after?: () => Promise<void>;
}

/** Wall time of one run in ms; a non-zero exit is a broken bench, not a figure. */
async function timeOnce({ name, file, args, env, after }: Case): Promise<number> {
  const started = performance.now();
  const result = await execa(file, args, { env, reject: false, stdin: 'ignore' });
  const elapsed = performance.now() - started;
  if (result.exitCode !== 0) throw new Error(`${name} exited ${String(result.exitCode)}: ${result.stderr.slice(-500)}`);
  await after?.();
  return elapsed;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** supervisord with one sample watcher, answering supervisorctl; undefined (with a note) when unavailable. */
async function startSupervisord(
  dir: string,
  notes: string[],
): Promise<{ conf: string; child: ChildProcess } | undefined> {
  const missing = await supervisordMissing();
  if (missing !== undefined) {
    notes.push(`supervisorctl  ${missing}`);
    return undefined;
  }
  const conf = await writeSupervisordConf(dir, [
    '[program:watcher]',
    `command=${process.execPath} ${SAMPLE} ${path.join(dir, 'supervisord', 'heartbeat.json')}`,
    `stdout_logfile=${path.join(dir, 'supervisord-watcher.log')}`,
    'redirect_stderr=true',
  ]);
  const child = spawn(SUPERVISORD, ['-c', conf], { stdio: 'ignore' });
  await until('supervisorctl status to show the watcher RUNNING', async () => {
    const { stdout } = await execa(SUPERVISORCTL, ['-c', conf, 'status'], { reject: false });
    return /RUNNING/.test(stdout);
  });
  return { conf, child };
}

const problem = distProblem();
if (problem !== undefined) {
  process.stderr.write(`bench/cli.ts: ${problem}\n`);
  process.exit(1);
}

const dir = await mkdtemp(path.join(tmpdir(), 'bench-cli-'));
const engine = await startDevServer({ port: 0 });
const pm2Env = { ...process.env, PM2_HOME: path.join(dir, 'pm2-home') };
const notes: string[] = [];
let supervisord: { conf: string; child: ChildProcess } | undefined;
let pm2Started = false;
const samples = new Map<string, number[]>();
try {
  const nasRoot = path.join(dir, 'nas');
  const config = path.join(dir, 'supervisor.yaml');
  await writeFile(
    config,
    [
      'worker_id: bench-cli',
      'paths:',
      `  nas_root: ${JSON.stringify(nasRoot)}`,
      'temporal:',
      `  address: ${JSON.stringify(engine.address)}`,
      '',
    ].join('\n'),
  );
  // The folders `supervisor start` would create: flag writes into the inbox.
  const folders = Config.parse({ worker_id: 'bench-cli', paths: { nas_root: nasRoot } });
  prepareFolders(folders);
  const { inbox } = folders.paths;
  // No ingest runs here: the written flag is removed, or the next `flag` finds one waiting and refuses.
  const emptyInbox = async (): Promise<void> => {
    for (const name of await readdir(inbox)) await rm(path.join(inbox, name), { force: true });
  };
  const env = { ...process.env, SUPERVISOR_CONFIG: config };
  const cli = (key: string, args: string[]): Case => ({
    key,
    name: `supervisor ${args[0] ?? ''}`,
    file: process.execPath,
    args: [distMain, ...args],
    env,
  });
  const cases = [
    { key: 'node', name: 'node -e 0', file: process.execPath, args: ['-e', '0'] },
    cli('version', ['--version']),
    cli('help', ['--help']),
    cli('status', ['status']),
    { ...cli('flag', ['flag', 'diagnostics', '--label', 'bench']), after: emptyInbox },
  ].filter((c) => only.has(c.key));

  if (only.has('supervisorctl')) {
    supervisord = await startSupervisord(dir, notes);
    if (supervisord !== undefined)
      cases.push({
        key: 'supervisorctl',
        name: 'supervisorctl status',
        file: SUPERVISORCTL,
        args: ['-c', supervisord.conf, 'status'],
      });
  }
  if (only.has('pm2')) {
    if (!existsSync(PM2)) notes.push('pm2 jlist      skipped: node_modules/.bin/pm2 is missing');
    else {
      await execa(PM2, ['start', SAMPLE, '--name', 'bench-watcher', '--', path.join(dir, 'pm2', 'hb.json')], {
        env: pm2Env,
      });
      pm2Started = true;
      cases.push({ key: 'pm2', name: 'pm2 jlist', file: PM2, args: ['jlist'], env: pm2Env });
    }
  }

  process.stdout.write(`cli bench: ${String(count)} runs each, interleaved; wall time spawn → exit\n`);
  for (const c of cases) await timeOnce(c); // warm the file cache: the figures are for a warm host
  for (let run = 0; run < count; run += 1) {
    for (const c of cases) samples.set(c.name, [...(samples.get(c.name) ?? []), await timeOnce(c)]);
  }
} finally {
  if (pm2Started) await execa(PM2, ['kill'], { env: pm2Env, reject: false });
  if (supervisord !== undefined) {
    const exited = new Promise((resolve) => supervisord?.child.once('exit', resolve));
    supervisord.child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
  }
  await engine.stop();
  await rm(dir, { recursive: true, force: true });
}

const median = (name: string): number | undefined => {
  const sorted = samples.get(name)?.toSorted((a, b) => a - b);
  return sorted === undefined ? undefined : percentile(sorted, 50);
};
const ratio = (value: number, base: number | undefined): string =>
  base === undefined ? '-' : `×${(value / base).toFixed(2)}`;
// The median above `node -e 0`'s: what the program itself costs, steadier than the total on a busy host.
const floor = median('node -e 0');
const columns = ['median', 'p95', 'above node', 'vs supervisorctl', 'vs pm2 jlist'];
const width = (i: number): number => Math.max(columns[i]?.length ?? 0, 8) + 2;
process.stdout.write(`${'command'.padEnd(22)}${columns.map((c, i) => c.padStart(width(i))).join('')}
`);
for (const [name, values] of samples) {
  const sorted = values.toSorted((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const cells = [
    `${p50.toFixed(0)} ms`,
    `${percentile(sorted, 95).toFixed(0)} ms`,
    floor === undefined || name === 'node -e 0' ? '-' : `${(p50 - floor).toFixed(0)} ms`,
    ratio(p50, median('supervisorctl status')),
    ratio(p50, median('pm2 jlist')),
  ];
  process.stdout.write(`${name.padEnd(22)}${cells.map((cell, i) => cell.padStart(width(i))).join('')}
`);
}
for (const note of notes)
  process.stdout.write(`${note}
`);

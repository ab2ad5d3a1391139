/**
 * A `supervisor start` of its own for a bench: a temp folder with the built-in defaults (sample watcher,
 * sample checkout, embedded engine, ingest, http) on free ports, the process spawned in its own process
 * group, the moments its console reports, and a clean stop (the process group, then the detached watcher).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBeat } from './wait.js';

export interface StartedSupervisor {
  dir: string;
  child: ChildProcess;
  /** Date.now() just before the spawn. */
  spawnedAt: number;
  heartbeatFile: string;
  /** Its embedded engine (worker_id `bench`). */
  engineAddress: string;
  /** Epoch ms of the first console line whose message starts with `text`, once one came. */
  logged(text: string): number | undefined;
  /** The last 2,000 characters of its stderr. */
  stderrTail(): string;
  /** Stops the process group and the watcher it started, and removes the folder. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The built-in defaults (`repo: {dir: var/sample-repo, sample: true}`) with free ports, under `dir`. */
async function writeConfig(dir: string): Promise<{ file: string; enginePort: number }> {
  const file = path.join(dir, 'supervisor.yaml');
  const enginePort = await freePort();
  const lines = [
    'worker_id: bench',
    `paths: { nas_root: ${path.join(dir, 'nas')} }`,
    `repo: { dir: ${path.join(dir, 'sample-repo')}, sample: true }`,
    `temporal: { embedded: { port: ${String(enginePort)}, db: ${path.join(dir, 'temporal.db')} } }`,
    `http: { port: ${String(await freePort())} }`,
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  return { file, enginePort };
}

const LINE = /^\[([^\]]+)\] \[SUPERVISOR\] \[[A-Z]+\] (.*)$/;

/** Spawns `command argsFor(<its config file>)` with `cwd`. */
export async function startSupervisor(
  command: string,
  argsFor: (config: string) => string[],
  cwd: string,
): Promise<StartedSupervisor> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-start-'));
  const { file: config, enginePort } = await writeConfig(dir);
  const heartbeatFile = path.join(dir, 'nas', '00_STATE', 'watcher_heartbeat_bench.json');
  const seen = new Map<string, number>();
  const spawnedAt = Date.now();
  const child = spawn(command, argsFor(config), {
    cwd,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SUPERVISOR_CONFIG: '' },
  });
  let rest = '';
  let tail = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-2000);
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const match = LINE.exec(line);
      if (match?.[1] !== undefined && match[2] !== undefined && !seen.has(match[2]))
        seen.set(match[2], Date.parse(match[1]));
    }
  });
  const logged = (text: string): number | undefined =>
    [...seen.entries()].find(([message]) => message.startsWith(text))?.[1];
  const stop = async (): Promise<void> => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }
    const beat = await readBeat(heartbeatFile);
    if (beat !== undefined) {
      try {
        process.kill(beat.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  return {
    dir,
    child,
    spawnedAt,
    engineAddress: `127.0.0.1:${String(enginePort)}`,
    heartbeatFile,
    logged,
    stop,
    stderrTail: () => tail,
  };
}

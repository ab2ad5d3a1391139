import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/**
 * Absolute path of the fake watcher script; supervisor configs run it as `node <path> <variant> <file>`.
 * It lives in bin/ because jest's `.js` mapping would resolve `fake-watcher.js` to a sibling `.mjs`.
 */
export const FAKE_WATCHER_PATH = fileURLToPath(new URL('./bin/fake-watcher.mjs', import.meta.url));

export type FakeWatcherVariant = 'well-behaved' | 'ignore-sigterm' | 'forks-grandchildren' | 'stops-heartbeating';

/** The heartbeat file the watcher writes (same shape as examples/sample-watcher.mjs). */
export interface WatcherHeartbeat {
  unix_ts: number;
  status: string;
  pid: number;
  message?: string;
  error?: string;
}

export interface DescendantPids {
  parent: number;
  child: number;
  grandchild: number;
}

export interface FakeWatcherOptions {
  variant: FakeWatcherVariant;
  heartbeatFile: string;
  intervalMs?: number;
  /** stops-heartbeating: how many heartbeats before going silent. */
  beats?: number;
  /** forks-grandchildren: where the pids go (default `<heartbeatFile>.pids.json`). */
  pidsFile?: string;
}

/** Command-line arguments for `process.execPath`, for tests that hand the command to the supervisor. */
export function fakeWatcherArgs(options: FakeWatcherOptions): string[] {
  const args = [FAKE_WATCHER_PATH, options.variant, options.heartbeatFile];
  if (options.intervalMs !== undefined) args.push(`--interval-ms=${options.intervalMs}`);
  if (options.beats !== undefined) args.push(`--beats=${options.beats}`);
  if (options.pidsFile !== undefined) args.push(`--pids-file=${options.pidsFile}`);
  return args;
}

export function pidsFileOf(options: FakeWatcherOptions): string {
  return options.pidsFile ?? `${options.heartbeatFile}.pids.json`;
}

/**
 * Starts the fake watcher directly. `exited` never rejects: it resolves with how the process ended,
 * so a test can assert on exit code or signal.
 */
export function spawnFakeWatcher(options: FakeWatcherOptions) {
  const subprocess = execa(process.execPath, fakeWatcherArgs(options), {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  });
  const { pid } = subprocess;
  if (pid === undefined) throw new Error('fake watcher did not start');
  const exited = subprocess.then((result) => ({ exitCode: result.exitCode, signal: result.signal }));
  return { pid, subprocess, exited };
}

/** The parsed heartbeat, or undefined while the file does not exist yet. */
export async function readHeartbeat(file: string): Promise<WatcherHeartbeat | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as WatcherHeartbeat;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function readDescendantPids(file: string): Promise<DescendantPids | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DescendantPids;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

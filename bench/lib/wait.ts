/** What the benches wait on: a condition polled until it holds, and the sample watcher's heartbeat file. */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Beat {
  unix_ts: number;
  pid: number;
}

/** The heartbeat file's body, or undefined while it is missing or torn. */
export async function readBeat(file: string): Promise<Beat | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Beat;
  } catch {
    return undefined;
  }
}

export interface UntilOptions {
  timeoutMs?: number;
  /** Poll interval; short by default, since the moment it holds is what many benches measure. */
  everyMs?: number;
  /** Give up at once when this process exits. */
  child?: ChildProcess;
}

/** Resolves with what `check` returns once defined; throws after `timeoutMs`, or when `child` exits. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 60_000, everyMs = 2, child }: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (child !== undefined && child.exitCode !== null)
      throw new Error(`${what}: the process exited with ${String(child.exitCode)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

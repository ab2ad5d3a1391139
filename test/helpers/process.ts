import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/**
 * True when `pid` names a live, non-zombie process. `kill(pid, 0)` alone is not enough: an exited
 * child nobody reaped (PID 1 in containers often never reaps) still answers it.
 */
export async function isProcessAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM means it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the parenthesised command name, which may itself contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. The default is
 * a bound for an event that comes in well under a second on an idle machine, not a speed: CI runs the suite with
 * a CPU hog on every core, and a 10 s default ran out there.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** SIGKILLs every pid that is still alive; for afterAll hooks, so it never throws. */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone: exactly what we wanted.
    }
  }
}

/** A TCP port free on 127.0.0.1 right now (a server started later may still race another process for it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

/** Resolves once `child` prints `line` on stdout; rejects at once when it exits first, or after `timeoutMs`. */
export function waitForOutput(
  child: {
    stdout: NodeJS.ReadableStream | null;
    once(event: 'exit', listener: (code: number | null) => void): unknown;
  },
  line: string,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for "${line}" from the child process`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the child process exited (code ${String(code)}) before printing "${line}"`));
    });
  });
}

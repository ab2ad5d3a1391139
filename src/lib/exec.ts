import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { execa } from 'execa';

/** How much of stderr an ExecError keeps: enough to diagnose, small enough for a Temporal failure. */
const STDERR_TAIL_BYTES = 4_096;

export interface ExecOptions {
  cwd?: string;
  /** Added to the inherited environment. Values never appear in errors or logs. */
  env?: Record<string, string>;
  /** Hard limit; the process gets SIGTERM, then SIGKILL 5 s later. Default 60 s. */
  timeoutMs?: number;
  /** Captured output limit per stream. Default 16 MB. */
  maxBuffer?: number;
  /** Aborting it terminates the process (an activity passes its cancellation signal). */
  cancelSignal?: AbortSignal;
  /** Append stdout and stderr to this file instead of capturing them (long, chatty commands). */
  outputFile?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

/** A command that failed to start, exited non-zero, timed out or was cancelled. */
export class ExecError extends Error {
  override readonly name = 'ExecError';
  constructor(
    message: string,
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly signal: string | undefined,
    readonly stderrTail: string,
    readonly timedOut: boolean,
    readonly canceled: boolean,
  ) {
    super(message);
  }
}

/** The last `maxBytes` of a text, cut at a line start when possible. */
export function tailOf(text: string, maxBytes = STDERR_TAIL_BYTES): string {
  if (text.length <= maxBytes) return text;
  const cut = text.slice(-maxBytes);
  const newline = cut.indexOf('\n');
  return newline >= 0 && newline < cut.length - 1 ? cut.slice(newline + 1) : cut;
}

/** The last `maxBytes` of a file, or '' when it cannot be read. */
export async function readFileTail(file: string, maxBytes = STDERR_TAIL_BYTES): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return tailOf(buffer.toString('utf8'), maxBytes);
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

function describeFailure(
  command: string,
  exitCode: number | undefined,
  signal: string | undefined,
  timedOut: boolean,
  canceled: boolean,
): string {
  if (timedOut) return `${command} timed out`;
  if (canceled) return `${command} was cancelled`;
  if (signal) return `${command} was killed by ${signal}`;
  if (exitCode === undefined) return `${command} could not be started`;
  return `${command} exited with code ${exitCode}`;
}

/**
 * Runs `command` with an argument array and no shell, so nothing in `args` is ever interpreted.
 * Callers put `--` (or `--end-of-options`) before user data themselves: only they know the syntax.
 */
export async function run(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const started = Date.now();
  const output = options.outputFile === undefined ? 'pipe' : { file: options.outputFile, append: true };
  const result = await execa(command, args, {
    shell: false,
    reject: false,
    stdin: 'ignore',
    stdout: output,
    stderr: output,
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: options.maxBuffer ?? 16_000_000,
    cancelSignal: options.cancelSignal,
    forceKillAfterDelay: 5_000,
    windowsHide: true,
  });
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  if (!result.failed) return { stdout, stderr, exitCode: result.exitCode ?? 0, durationMs: Date.now() - started };

  // A spawn failure (ENOENT…) has no stderr; its cause message names the problem without env values.
  const spawnProblem =
    result.exitCode === undefined && !result.isTerminated ? ((result.cause as Error | undefined)?.message ?? '') : '';
  const tail = options.outputFile === undefined ? tailOf(stderr) : await readFileTail(options.outputFile);
  throw new ExecError(
    describeFailure(command, result.exitCode, result.signal, result.timedOut, result.isCanceled),
    command,
    [...args],
    result.exitCode,
    result.signal,
    tail || spawnProblem,
    result.timedOut,
    result.isCanceled,
  );
}

export interface DetachedOptions {
  cwd: string;
  env: Record<string, string>;
  /** stdout and stderr are appended here; the parent keeps no pipe, so it may exit first. */
  logFile: string;
  /** Called once when the process exits (we are its parent): news of a death without polling for it. */
  onExit?: () => void;
}

/**
 * Starts a long-lived process in its own process group (its pid is the group id), detached from us,
 * so a supervisor restart does not take it down and a stop can signal the whole group.
 */
export async function spawnDetached(
  command: string,
  args: readonly string[],
  options: DetachedOptions,
): Promise<number> {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      detached: true,
      shell: false,
      stdio: ['ignore', fd, fd],
      windowsHide: true,
    });
    // 'spawn' or 'error' (ENOENT, EACCES, bad cwd) arrive asynchronously; wait for whichever comes.
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    if (options.onExit !== undefined) child.once('exit', options.onExit);
    child.unref();
    if (child.pid === undefined) throw new Error(`${command} has no pid`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

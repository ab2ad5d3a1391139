/** The work of `supervisor wrap` (see ../wrap.ts): the child, its output, and the beats while it lives. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Duration } from '../../config/units.js';
import { startHeartbeat } from '../../lib/watcher-heartbeat.js';
import { CliError, EXIT_USAGE } from '../common.js';

export interface WrapOptions {
  heartbeat: string;
  silenceTimeout: string;
  interval: string;
}

function duration(value: string, name: string): number {
  const parsed = Duration.safeParse(value);
  if (!parsed.success)
    throw new CliError(`${name}: ${JSON.stringify(value)} is not a duration (e.g. 500ms, 60s, 5m)`, EXIT_USAGE);
  return parsed.data;
}

/** Shell convention: a program killed by a signal exits 128 + the signal's number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal === null ? undefined : constants.signals[signal];
  return 128 + (number ?? 0);
}

export async function runWrapped(
  command: string,
  args: string[],
  options: { heartbeatFile: string; silenceTimeoutMs: number; intervalMs: number },
): Promise<number> {
  const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'pipe'] });
  let lastOutput = Date.now();
  let exited = false;
  const forward = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
    lastOutput = Date.now();
    target.write(chunk);
  };
  child.stdout.on('data', forward(process.stdout));
  child.stderr.on('data', forward(process.stderr));
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (spawned !== undefined) throw new CliError(`cannot run ${command}: ${spawned.message}`, 127);
  const emitter = startHeartbeat(options.heartbeatFile, {
    intervalMs: options.intervalMs,
    alive: () => !exited && Date.now() - lastOutput <= options.silenceTimeoutMs,
    initial: { pid: child.pid, message: `wrapped ${command}` },
    onError: (error) => process.stderr.write(`supervisor wrap: heartbeat not written: ${String(error)}\n`),
  });
  // The supervisor stops us with SIGTERM: the program gets it too, and we leave when it does.
  const relay = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, relay);
  const code = await new Promise<number>((resolve) =>
    child.once('exit', (exitCode, signal) => resolve(exitCodeOf(exitCode, signal))),
  );
  exited = true;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(signal, relay);
  await emitter.stop(code === 0 ? { message: 'exited' } : { status: 'stopped', error: `exit code ${code}` });
  return code;
}

/** `supervisor wrap`: runs the program, beating for it, and leaves with its exit code. */
export async function runWrap(command: string, args: string[], options: WrapOptions): Promise<void> {
  const code = await runWrapped(command, args, {
    heartbeatFile: options.heartbeat,
    silenceTimeoutMs: duration(options.silenceTimeout, '--silence-timeout'),
    intervalMs: duration(options.interval, '--interval'),
  });
  if (code !== 0) throw new CliError(`${command} exited with code ${code}`, code);
}

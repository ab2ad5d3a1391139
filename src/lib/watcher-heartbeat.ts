/**
 * The watcher's heartbeat emitter, for supervised programs (docs/heartbeat.md): a tiny JSON file written
 * atomically, which the keep-alive reads to tell a hung watcher from a busy one. Not the supervisor's
 * own heartbeat (nas/paths.ts supervisorHeartbeatPath) nor a Temporal activity heartbeat.
 */
import { writeFileAtomic } from './atomic.js';

/** `{unix_ts, status, pid, message?, error?}`; unix_ts in seconds (float). */
export interface Heartbeat {
  unix_ts: number;
  status: string;
  pid: number;
  message?: string;
  error?: string;
}

export type HeartbeatUpdate = Partial<Omit<Heartbeat, 'unix_ts'>>;

/** One beat, written so a reader sees the old file or the new one, never half of one. */
export async function writeHeartbeat(file: string, update: HeartbeatUpdate = {}): Promise<Heartbeat> {
  const body: Heartbeat = {
    unix_ts: Date.now() / 1000,
    status: update.status ?? 'healthy',
    pid: update.pid ?? process.pid,
  };
  if (update.message !== undefined) body.message = update.message;
  if (update.error !== undefined) body.error = update.error;
  await writeFileAtomic(file, `${JSON.stringify(body)}\n`);
  return body;
}

export interface HeartbeatEmitter {
  /** Beats now; `update` sticks for later beats (set `error: undefined` to clear it). */
  beat(update?: HeartbeatUpdate): Promise<void>;
  /** Stops the timer and writes a last beat (status `stopped` unless given). */
  stop(update?: HeartbeatUpdate): Promise<void>;
}

/**
 * Beats every `intervalMs` while `alive()` says so (default: always). A failed write is reported to
 * `onError` and retried at the next beat: a NAS hiccup must not kill the program being watched.
 */
export function startHeartbeat(
  file: string,
  options: {
    intervalMs?: number;
    alive?: () => boolean;
    onError?: (error: unknown) => void;
    initial?: HeartbeatUpdate;
  } = {},
): HeartbeatEmitter {
  let sticky: HeartbeatUpdate = { ...options.initial };
  let pending: Promise<unknown> = Promise.resolve();
  const write = (update: HeartbeatUpdate) => {
    pending = pending.then(() => writeHeartbeat(file, update)).catch((error: unknown) => options.onError?.(error));
    return pending.then(() => undefined);
  };
  const tick = () => {
    if (options.alive === undefined || options.alive()) void write(sticky);
  };
  const timer = setInterval(tick, options.intervalMs ?? 5_000);
  timer.unref();
  tick();
  return {
    beat: (update = {}) => {
      sticky = { ...sticky, ...update };
      return write(sticky);
    },
    stop: (update = {}) => {
      clearInterval(timer);
      return write({ ...sticky, status: 'stopped', ...update });
    },
  };
}

/**
 * Exit news of the watchers this process started. The worker that spawns the watcher is its parent, so the
 * kernel tells it at once when the watcher dies (SIGCHLD, Node's 'exit' event), even though the watcher runs
 * detached in its own group. The watch races this news against its poll sleep: a death is seen in
 * microseconds, not at the next poll. A watcher adopted from a pid file (the supervisor restarted) is not our
 * child: no news for it, the poll alone finds its death.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ActivityHooks } from './context.js';

/** Per process, by pid: a pid reused by a stranger is never in here, since we did not spawn the stranger. */
const exits = new Map<number, Promise<void>>();

/**
 * How long the news of a death stays: a watch asks for it after each look, and a watcher that died while the
 * look ran (seen running a moment before) must still wake it at once rather than leave it to a long poll (CI: a
 * ten-minute poll, a death during a slow look on a busy host, no restart).
 */
const DEAD_KEPT_MS = 60_000;

/** Before the spawn: the callback for `spawnDetached({ onExit })` and, once the pid is known, its registration. */
export function exitNews(): { onExit: () => void; register: (pid: number) => void } {
  let resolve: () => void = () => undefined;
  const exited = new Promise<void>((done) => {
    resolve = done;
  });
  return {
    onExit: () => resolve(),
    register: (pid) => {
      exits.set(pid, exited);
      // Forget the dead after a while: until then a watch asking after this pid wakes at once and looks.
      void exited.then(() => {
        setTimeout(() => {
          if (exits.get(pid) === exited) exits.delete(pid);
        }, DEAD_KEPT_MS).unref();
      });
    },
  };
}

/** Settles when the watcher `pid` we started exits (settled if it died lately); undefined when not our child. */
export function exitOf(pid: number | null): Promise<void> | undefined {
  return pid === null ? undefined : exits.get(pid);
}

/**
 * The activity's sleep of `ms`, ended early by `wake` when there is one; a cancellation still throws. The timer
 * goes when `wake` wins: a long poll interval must not keep the process busy after the watch returned.
 */
export async function sleepUnless(hooks: ActivityHooks, ms: number, wake?: Promise<void>): Promise<void> {
  if (wake === undefined) return hooks.sleep(ms);
  const done = new AbortController();
  const signal = hooks.signal === undefined ? done.signal : AbortSignal.any([done.signal, hooks.signal]);
  try {
    await Promise.race([delay(ms, undefined, { signal }), wake]);
  } catch (error) {
    hooks.throwIfCancelled();
    throw error;
  } finally {
    done.abort();
  }
}

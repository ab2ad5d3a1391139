import { fileIdentity } from './process.js';
import { entryKey } from './scan.js';
import type { Waiting } from './scan.js';

/**
 * Handles one flag up to Temporal's answer; `finish` is what is left (ledger, receipt, removal), run
 * while the worker's next flag starts. Never throws: a failure is the caller's to note.
 */
export type LaneStep = (waiting: Waiting) => Promise<{ finish?: () => Promise<void> }>;

export interface Lanes {
  /** A pass's listing, per worker in start order: replaces what waited; flags being handled are skipped. */
  offer(byWorker: ReadonlyMap<string, readonly Waiting[]>): void;
  /** Temporal refuses starts: take no further flag until the next offer (the backoff's pass). */
  block(): void;
  blocked(): boolean;
  /** The entry (by scan.ts entryKey) was taken and is not finished: it is still in the inbox, and not to be listed. */
  taken(key: string): boolean;
  /** Resolves once no lane is busy (every flag taken has finished). */
  idle(): Promise<void>;
  /** No further flag is taken; see idle for the running ones. */
  halt(): void;
}

/**
 * The worker lanes (SPEC priority): a worker's flags start one at a time in start order, at most `limit`
 * workers at once. A pass hands its listing over and returns at once, so the next look at the inbox (a
 * polling look, a new flag's event) never waits for a burst to be handled. A lane takes its worker's best
 * flag from the latest listing each time, so a more urgent flag dropped meanwhile goes next. A lane keeps
 * its slot until its flags' finishing is done, which bounds the finishings in flight as well.
 */
export function workerLanes(
  limit: number,
  step: LaneStep,
  /** A new file took the name of a flag being handled: it was left out, so look at the inbox again. */
  onReplaced: () => void,
): Lanes {
  const queues = new Map<string, Waiting[]>();
  const active = new Set<string>();
  /** Flags taken and not yet finished: still in the inbox, and not to be taken again. */
  const taken = new Map<string, Waiting>();
  /** Keys an offer left out while taken although the entry offered was another file. */
  const replaced = new Set<string>();
  const release = (key: string): void => {
    taken.delete(key);
    if (replaced.delete(key)) onReplaced();
  };
  let blocked = false;
  let halted = false;
  let waiters: (() => void)[] = [];

  const runLane = async (workerId: string): Promise<void> => {
    const finishing: Promise<void>[] = [];
    for (;;) {
      const next = blocked || halted ? undefined : queues.get(workerId)?.shift();
      if (next === undefined) break;
      const key = entryKey(next);
      taken.set(key, next);
      const { finish } = await step(next);
      if (finish === undefined) release(key);
      else finishing.push(finish().finally(() => release(key)));
    }
    await Promise.all(finishing);
  };

  const pump = (): void => {
    for (const [workerId, queue] of queues) {
      if (active.size >= limit) break;
      if (queue.length === 0 || active.has(workerId) || blocked || halted) continue;
      active.add(workerId);
      void runLane(workerId).finally(() => {
        active.delete(workerId);
        pump();
      });
    }
    if (active.size > 0) return;
    const resolved = waiters;
    waiters = [];
    for (const resolve of resolved) resolve();
  };

  return {
    offer(byWorker) {
      blocked = false;
      queues.clear();
      for (const [workerId, flags] of byWorker)
        queues.set(
          workerId,
          flags.filter((flag) => {
            const handled = taken.get(entryKey(flag));
            if (handled === undefined) return true;
            if (fileIdentity(handled.stats) !== fileIdentity(flag.stats)) replaced.add(entryKey(flag));
            return false;
          }),
        );
      pump();
    },
    block() {
      blocked = true;
    },
    blocked: () => blocked,
    taken: (key) => taken.has(key),
    idle() {
      if (active.size === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    halt() {
      halted = true;
    },
  };
}

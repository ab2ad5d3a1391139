/**
 * The chaos run's inputs, all drawn from one seed so a failure replays with `CHAOS_SEED=<seed>`: which flags
 * are dropped in which order (valid ones over several workers, a few duplicates and bad ones mixed in), and
 * when which process is killed.
 */

/** mulberry32: a tiny PRNG whose whole state is the seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type Ending = 'accepted' | 'duplicate' | 'rejected';

/** One file the run drops into the inbox, and how the ingest must end it. */
export interface PlannedFlag {
  name: string;
  body: string;
  expect: Ending;
  workerId: string;
  taskId: string;
}

export const CHAOS_WORKERS = ['W1', 'W2', 'W3'] as const;
/** Cheap, read-only handlers (no lock, no watcher): thousands fit a CI run. */
const HANDLERS = ['diagnostics', 'verify_db'] as const;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * `valid` flags to accept, plus about one duplicate and one bad flag per 200: a duplicate repeats an earlier
 * task id under the same file name (so it is dropped after its original left the inbox) with another label;
 * a bad flag is invalid JSON under a valid name, or a valid body under an unknown handler's name.
 */
export function planFlags(random: () => number, valid: number): PlannedFlag[] {
  const extras = Math.max(1, Math.round(valid / 200));
  const flags: PlannedFlag[] = [];
  for (let i = 0; i < valid; i += 1) {
    const workerId = pick(random, CHAOS_WORKERS);
    const handler = pick(random, HANDLERS);
    const taskId = `chaos_${String(i)}`;
    const body = JSON.stringify({ task_id: taskId, handler, label: `chaos ${String(i)}`, requested_by: 'chaos' });
    flags.push({ name: `supervisor_${handler}_${workerId}.flag`, body, expect: 'accepted', workerId, taskId });
  }
  const repeated = new Set<PlannedFlag>();
  while (repeated.size < extras) repeated.add(pick(random, flags.slice(0, valid)));
  for (const original of repeated) {
    const body = JSON.stringify({ ...(JSON.parse(original.body) as object), label: 'duplicate' });
    flags.splice(insertionAfter(random, flags, original), 0, { ...original, body, expect: 'duplicate' });
  }
  for (let i = 0; i < extras; i += 1) {
    const workerId = pick(random, CHAOS_WORKERS);
    const taskId = `chaos_bad_${String(i)}`;
    const bad =
      random() < 0.5
        ? { name: `supervisor_${pick(random, HANDLERS)}_${workerId}.flag`, body: `{"task_id": "${taskId}", "handler":` }
        : {
            name: `supervisor_frobnicate_${workerId}.flag`,
            body: JSON.stringify({ task_id: taskId, handler: 'frobnicate' }),
          };
    flags.splice(Math.floor(random() * (flags.length + 1)), 0, { ...bad, expect: 'rejected', workerId, taskId });
  }
  return flags;
}

function insertionAfter(random: () => number, flags: readonly PlannedFlag[], original: PlannedFlag): number {
  const at = flags.indexOf(original);
  return at + 1 + Math.floor(random() * (flags.length - at));
}

export type Target = 'ingest' | 'worker' | 'engine';

const TARGETS = ['ingest', 'worker', 'engine'] as const;

export interface Kill {
  target: Target;
  workerId: string;
  /** How long after the previous restart was ready. */
  afterMs: number;
}

/** The kills in order: the first three hit each target once (in a seeded order), then seeded picks. */
export function killSchedule(random: () => number): () => Kill {
  const first = [...TARGETS].sort(() => random() - 0.5);
  return () => ({
    target: first.shift() ?? pick(random, TARGETS),
    workerId: pick(random, CHAOS_WORKERS),
    afterMs: 1_000 + Math.floor(random() * 4_000),
  });
}

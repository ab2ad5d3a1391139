/**
 * Chaos (issue 17): CHAOS_FLAGS valid flags (default 5,000) over three workers, a few duplicates and bad flags
 * mixed in, while the ingest, a worker and the engine, each a separate process of the built CLI, are SIGKILLed
 * at seeded random moments and started again. At the end every flag ended exactly once, no task ran twice,
 * nothing was lost or left in the inbox, and every audit row is in MySQL once. `CHAOS_SEED=<seed>` replays the
 * plan (flags and kill schedule; the moments a kill lands depend on the machine).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../src/config/schema.js';
import { testConfig } from '../helpers/config.js';
import { assertFreshDist } from '../helpers/dist.js';
import { recordFigure } from '../helpers/figures.js';
import type { MariaDbHarness } from '../helpers/mariadb.js';
import { startMariaDb } from '../helpers/mariadb.js';
import { freePort, waitFor } from '../helpers/process.js';
import type { TempDir } from '../helpers/tmp.js';
import { makeTempDir } from '../helpers/tmp.js';
import { dropFlag, exists } from '../integration/ingest/harness.js';
import type { Cluster } from './cluster.js';
import { makeCluster } from './cluster.js';
import { checkEverything } from './endings.js';
import type { PlannedFlag, Target } from './plan.js';
import { CHAOS_WORKERS, killSchedule, planFlags, seededRandom } from './plan.js';

const SEED =
  process.env.CHAOS_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.CHAOS_SEED);
const FLAGS = Number(process.env.CHAOS_FLAGS ?? 5_000);
const REPLAY = `CHAOS_SEED=${String(SEED)} CHAOS_FLAGS=${String(FLAGS)}`;
// Bounds for waiting, not speeds: an engine down plus the ingest's backoff (up to 30 s) can hold a lane a while.
const LANE_MS = 300_000;
const DRAIN_MS = 900_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Drops every flag, one file name at a time: the next flag of a name waits until the ingest took the last. */
async function dropAll(inbox: string, flags: readonly PlannedFlag[]): Promise<void> {
  const lanes = new Map<string, PlannedFlag[]>();
  for (const flag of flags) lanes.set(flag.name, [...(lanes.get(flag.name) ?? []), flag]);
  await Promise.all(
    [...lanes.values()].map(async (lane) => {
      for (const flag of lane) {
        const file = path.join(inbox, flag.name);
        await waitFor(`${flag.name} to leave the inbox`, async () => !(await exists(file)), LANE_MS);
        await dropFlag(inbox, flag.name, flag.body);
      }
    }),
  );
}

/**
 * Until `done()` (and three kills at least, one of each): a seeded pause, SIGKILL of a seeded target, its
 * restart up to its ready line.
 */
async function killLoop(cluster: Cluster, random: () => number, done: () => boolean): Promise<Record<Target, number>> {
  const kills: Record<Target, number> = { ingest: 0, worker: 0, engine: 0 };
  const schedule = killSchedule(random);
  for (let k = 0; ; k += 1) {
    const next = schedule();
    await sleep(next.afterMs);
    if (k >= 3 && done()) return kills;
    const role = next.target === 'worker' ? cluster.workers.get(next.workerId) : cluster[next.target];
    if (role === undefined) throw new Error(`no worker ${next.workerId}`);
    const at = Date.now();
    await role.kill();
    kills[next.target] += 1;
    await role.start();
    process.stdout.write(`chaos: killed ${role.name}, ready again in ${String(Date.now() - at)} ms\n`);
  }
}

async function resultCount(configs: Map<string, Config>): Promise<number> {
  let n = 0;
  for (const config of configs.values()) {
    const names = await readdir(path.join(config.paths.outbox, config.worker_id)).catch(() => []);
    n += names.filter((name) => name.startsWith('chaos_') && name.endsWith('.result.json')).length;
  }
  return n;
}

describe('chaos: SIGKILLs of the ingest, the workers and the engine while flags flow', () => {
  let temp: TempDir | undefined;
  let db: MariaDbHarness | undefined;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    assertFreshDist();
    process.stdout.write(`chaos: ${REPLAY}\n`);
    temp = await makeTempDir('ts-chaos-');
    db = await startMariaDb();
  }, 120_000);

  afterAll(async () => {
    for (const role of cluster?.all() ?? []) await role.kill();
    await db?.stop();
    await temp?.cleanup();
  }, 120_000);

  it(`every flag ends exactly once, nothing runs twice, nothing is lost (${REPLAY})`, async () => {
    const dir = (temp as TempDir).path;
    const nasRoot = path.join(dir, 'nas');
    const configs = new Map(CHAOS_WORKERS.map((id) => [id, testConfig(nasRoot, {}, id)]));
    const inbox = (configs.get('W1') as Config).paths.inbox;
    const random = seededRandom(SEED);
    const flags = planFlags(random, FLAGS);
    const live = await makeCluster(dir, nasRoot, await freePort(), (db as MariaDbHarness).config);
    cluster = live;
    for (const role of live.all()) await role.start();

    // Runs follow the ingest closely, so the kills land in both while the flags flow; then the runs catch up
    // (a run whose activity died with its worker waits for that activity's timeout, up to 2 min).
    let dropped = false;
    const began = Date.now();
    const [kills] = await Promise.all([
      killLoop(live, random, () => dropped),
      dropAll(inbox, flags).finally(() => {
        dropped = true;
      }),
    ]);
    process.stdout.write(`chaos: every flag dropped after ${String(Date.now() - began)} ms\n`);
    const accepted = flags.filter((f) => f.expect === 'accepted').length;
    const ran = async () => (await resultCount(configs)) >= accepted;
    await waitFor("every accepted task's result file", ran, DRAIN_MS, 500);
    process.stdout.write(`chaos: every result written after ${String(Date.now() - began)} ms\n`);

    const connection = await Connection.connect({ address: live.address });
    const client = new Client({ connection });
    const found = await checkEverything({ client, pool: (db as MariaDbHarness).pool, configs, flags });
    await connection.close();
    process.stdout.write(`chaos: checked after ${String(Date.now() - began)} ms\n`);
    const count = (kind: string) => flags.filter((f) => f.expect === kind).length;
    const total = kills.ingest + kills.worker + kills.engine;
    recordFigure(
      `chaos: seed ${String(SEED)}, ${String(flags.length)} flags (${String(count('accepted'))} accepted, ` +
        `${String(count('duplicate'))} duplicate, ${String(count('rejected'))} rejected), ${String(found.twice.length)} twice, ` +
        `${String(found.lost.length)} lost, ${String(total)} kills (${String(kills.ingest)} ingest, ` +
        `${String(kills.worker)} worker, ${String(kills.engine)} engine)`,
    );
    const exits = live.all().flatMap((role) => role.unexpectedExits);
    expect({ replay: REPLAY, ...found, exits }).toEqual({ replay: REPLAY, twice: [], lost: [], exits: [] });
    expect(kills.ingest * kills.worker * kills.engine).toBeGreaterThan(0);
  }, 1_500_000);
});

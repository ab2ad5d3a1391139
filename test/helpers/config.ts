/**
 * What every test that builds a config or runs activities in-process shares: a validated config on a temp
 * NAS, short timings and a logger that stays quiet unless SUPERVISOR_TEST_LOG names a level.
 */
import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { Config } from '../../src/config/schema.js';

/** The worker id of a config nobody asked a particular id for. */
export const TEST_WORKER_ID = 'W1';

/** A validated Config rooted in `dir` (its folders created), with overrides as they would be written in YAML. */
export function testConfig(dir: string, overrides: Record<string, unknown> = {}, workerId = TEST_WORKER_ID): Config {
  const config = Config.parse({ worker_id: workerId, paths: { nas_root: dir }, ...overrides });
  for (const folder of Object.values(config.paths)) mkdirSync(folder, { recursive: true });
  return config;
}

export const silentLogger = pino({ level: process.env.SUPERVISOR_TEST_LOG ?? 'silent' });

/** Short waits so an activity or handler takes well under a second of its own; production keeps DEFAULT_TIMING. */
export const FAST_TIMING = { pollMs: 25, startGraceMs: 150, heartbeatMs: 50, killWaitMs: 3_000 };

/** A gather window long enough for "started together" in a test, short enough not to slow every handler. */
export const TEST_LOCK = { gatherMs: 300, holderCheckMs: 1_000 };

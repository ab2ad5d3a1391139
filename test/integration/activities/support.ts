import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { Config } from '../../../src/config/schema.js';
import { createActivities } from '../../../src/activities/index.js';
import type { ActivityDeps } from '../../../src/activities/index.js';
import { createAuditSink } from '../../../src/audit/index.js';
import type { MockActivityEnvironment } from '@temporalio/testing';

/** A validated Config rooted in `dir`, with overrides as they would be written in YAML. */
export function testConfig(dir: string, overrides: Record<string, unknown> = {}): Config {
  const config = Config.parse({ worker_id: 'TestWorker', paths: { nas_root: dir }, ...overrides });
  for (const folder of Object.values(config.paths)) mkdirSync(folder, { recursive: true });
  return config;
}

export const silentLogger = pino({ level: 'silent' });

/** Short waits so tests take seconds; production keeps DEFAULT_TIMING. */
export const FAST_TIMING = { pollMs: 25, startGraceMs: 150, heartbeatMs: 50, killWaitMs: 3_000 };

export function activitiesFor(config: Config, extra: Partial<ActivityDeps> = {}) {
  return createActivities({
    config,
    logger: silentLogger,
    audit: extra.audit ?? createAuditSink(config, extra.pool, silentLogger),
    timing: FAST_TIMING,
    ...extra,
  });
}

/** MockActivityEnvironment.run with the activity's own result type (its generics do not infer it). */
export async function runInActivity<R>(env: MockActivityEnvironment, activity: () => Promise<R>): Promise<R> {
  return (await env.run(activity)) as R;
}

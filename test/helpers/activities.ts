/** The activities of a test config run in-process: the real createActivities with the test timings. */
import { createActivities } from '../../src/activities/index.js';
import type { ActivityDeps } from '../../src/activities/index.js';
import type { Config } from '../../src/config/schema.js';
import { createAuditSink } from '../../src/audit/index.js';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { FAST_TIMING, silentLogger } from './config.js';

/** Activities of `config` with the NDJSON audit (unless `extra` brings a pool or a sink) and FAST_TIMING. */
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

import type { Client } from '@temporalio/client';
import type { Pool } from 'mysql2/promise';
import type { Config } from '../config/schema.js';
import type { AuditSink } from '../audit/record.js';
import { DEFAULT_LOCK_TUNING } from '../contract/lock.js';
import type { LockTuning } from '../contract/lock.js';
import type { Logger } from '../observability/logger.js';

/** Waits and intervals of the activities; tests shorten them, production keeps the defaults. */
export interface ActivityTiming {
  /** How often a stop checks whether the process tree is gone. */
  pollMs: number;
  /** How long a freshly started watcher must stay up before the start counts as done. */
  startGraceMs: number;
  /** Heartbeat interval of long-running commands (dependency install). */
  heartbeatMs: number;
  /** How long to wait for SIGKILLed processes to disappear before reporting a failure. */
  killWaitMs: number;
}

export const DEFAULT_TIMING: ActivityTiming = { pollMs: 250, startGraceMs: 500, heartbeatMs: 5_000, killWaitMs: 5_000 };

/** What `createActivities` needs from the outside world; everything else the activities reach through it. */
export interface ActivityDeps {
  config: Config;
  logger: Logger;
  audit: AuditSink;
  /** The supervisor's pool when a database is configured. */
  pool?: Pool;
  /** Clock for report timestamps and audit `at`; injectable for tests. */
  now?: () => Date;
  timing?: Partial<ActivityTiming>;
  /** Temporal client for the lock activities (signal-with-start, describe); absent in plain activity tests. */
  client?: Client;
  /** Lock workflow tuning carried into a freshly started lock; tests shorten it. */
  lock?: Partial<LockTuning>;
}

/** ActivityDeps with the defaults filled in: what each concern's factory receives. */
export interface ResolvedDeps {
  config: Config;
  logger: Logger;
  audit: AuditSink;
  pool: Pool | undefined;
  now: () => Date;
  timing: ActivityTiming;
  client: Client | undefined;
  lock: LockTuning;
}

export function resolveDeps(deps: ActivityDeps): ResolvedDeps {
  return {
    config: deps.config,
    logger: deps.logger.child({ component: 'activities' }),
    audit: deps.audit,
    pool: deps.pool,
    now: deps.now ?? (() => new Date()),
    timing: { ...DEFAULT_TIMING, ...deps.timing },
    client: deps.client,
    lock: { ...DEFAULT_LOCK_TUNING, ...deps.lock },
  };
}

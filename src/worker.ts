/** The Worker of one host: task queue `supervisor-<workerId>`, the handler workflows and their activities. */
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'mysql2/promise';
import { createActivities } from './activities/index.js';
import type { ActivityTiming } from './activities/index.js';
import { createAuditSink } from './audit/index.js';
import type { AuditSink } from './audit/index.js';
import type { Config } from './config/schema.js';
import { taskQueueOf } from './contract/ids.js';
import type { LockTuning } from './contract/lock.js';
import { createDbPool, migrate } from './db/index.js';
import type { Logger } from './observability/logger.js';
import { loadWorkflowBundle, ownWorkflowBundle } from './workflow-bundle.js';

export interface SupervisorWorkerOptions {
  config: Config;
  logger: Logger;
  /** Worker connection to the engine or cluster. */
  connection: NativeConnection;
  /** Client the lock activities use (signal-with-start, describe). */
  client: Client;
  /** The database pool; created from `config.database` when absent. */
  pool?: Pool;
  /** A workflow bundle (tests build theirs once per file); otherwise the saved one, rebuilt when stale. */
  workflowBundle?: { code: string };
  timing?: Partial<ActivityTiming>;
  lock?: Partial<LockTuning>;
  now?: () => Date;
  /** Extra Worker options (identity, shutdownGraceTime…); tests use them, production keeps defaults. */
  workerOptions?: Partial<
    Omit<WorkerOptions, 'connection' | 'taskQueue' | 'activities' | 'workflowBundle' | 'workflowsPath'>
  >;
}

export interface SupervisorWorker {
  worker: Worker;
  /** Closes what this module opened (the pool when it created it); call after the worker stopped. */
  close(): Promise<void>;
}

/**
 * Tables first, then the audit rows an outage left in the pending file. A database outage must not keep the
 * worker (and pause/restart/verify_db) from running: health runs drain the rows once it answers.
 */
async function prepareDatabase(pool: Pool, audit: AuditSink, logger: Logger): Promise<void> {
  try {
    logger.info({ migration: await migrate(pool) }, 'database ready');
  } catch (error) {
    logger.error({ error: String(error) }, 'database migration failed; audit rows wait in the pending file');
    return;
  }
  // In the background: a long back-fill must not hold the worker's start.
  void audit.drain?.();
}

export async function createSupervisorWorker(options: SupervisorWorkerOptions): Promise<SupervisorWorker> {
  const { config } = options;
  const logger = options.logger.child({ component: 'worker' });
  const ownPool =
    options.pool === undefined && config.database !== undefined ? createDbPool(config.database) : undefined;
  const pool = options.pool ?? ownPool;
  try {
    const audit = createAuditSink(config, pool, logger);
    if (pool !== undefined) await prepareDatabase(pool, audit, logger);
    const activities = createActivities({
      config,
      logger: options.logger,
      audit,
      pool,
      client: options.client,
      timing: options.timing,
      lock: options.lock,
      now: options.now,
    });
    const taskQueue = taskQueueOf(config);
    const worker = await Worker.create({
      connection: options.connection,
      namespace: config.temporal.namespace,
      taskQueue,
      activities,
      workflowBundle: options.workflowBundle ?? (await loadWorkflowBundle(ownWorkflowBundle(), logger)),
      ...options.workerOptions,
    });
    logger.info({ taskQueue, namespace: config.temporal.namespace }, 'worker ready');
    return { worker, close: async () => await ownPool?.end() };
  } catch (error) {
    await ownPool?.end().catch(() => undefined);
    throw error;
  }
}

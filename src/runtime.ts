/**
 * The composition root of a supervisor process (`supervisor start` and `supervisor worker`): the
 * connections to Temporal, the client, the database pool, this host's worker and the supervision
 * set-up (keep-alive, health schedule), and their shutdown in the right order. The CLI adds what
 * differs per command (the embedded engine, the ingest, the http endpoints).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Worker } from '@temporalio/worker';
import type { Pool } from 'mysql2/promise';
import type { Config } from './config/schema.js';
import { createDbPool } from './db/index.js';
import type { Logger } from './observability/logger.js';
import { ensureSupervision } from './supervision/index.js';
import { createSupervisorWorker } from './worker.js';

export interface SupervisorRuntime {
  client: Client;
  worker: Worker;
  /** Settles when the worker has stopped: the Temporal runtime stops it on SIGINT/SIGTERM, or close() does. */
  running: Promise<void>;
  supervision: { keepAliveStarted: boolean; scheduleCreated: boolean };
  /** Stops the worker if it still runs, then closes the pool and the connections. */
  close(): Promise<void>;
}

/** Thrown when Temporal cannot be reached at start-up: the operator's to fix, said plainly. */
export class TemporalUnreachable extends Error {
  constructor(address: string, cause: unknown) {
    super(`cannot reach Temporal at ${address}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'TemporalUnreachable';
  }
}

/** Connections for the worker (native) and for the client (ingest, lock and keep-alive activities). */
async function connect(
  address: string,
): Promise<{ native: NativeConnection; connection: Connection; close(): Promise<void> }> {
  let native: NativeConnection | undefined;
  try {
    native = await NativeConnection.connect({ address });
    const connection = await Connection.connect({ address });
    const opened = native;
    return { native, connection, close: async () => void (await Promise.all([opened.close(), connection.close()])) };
  } catch (error) {
    await native?.close().catch(() => undefined);
    throw new TemporalUnreachable(address, error);
  }
}

/**
 * Connects, builds and runs the worker of `config.worker_id`, then makes sure the keep-alive runs and
 * the health schedule exists (idempotent, safe on any number of hosts at once).
 */
export async function startRuntime(options: {
  config: Config;
  logger: Logger;
  address: string;
}): Promise<SupervisorRuntime> {
  const { config, logger, address } = options;
  const connections = await connect(address);
  const client = new Client({ connection: connections.connection, namespace: config.temporal.namespace });
  let pool: Pool | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await pool?.end();
    await connections.close();
  };
  try {
    pool = config.database === undefined ? undefined : createDbPool(config.database);
    ({ worker } = await createSupervisorWorker({ config, logger, connection: connections.native, client, pool }));
    running = worker.run();
    const supervision = await ensureSupervision(client, config);
    return { client, worker, running, supervision, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

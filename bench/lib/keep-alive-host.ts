/**
 * The supervisor's half of the keep-alive benches (restart.ts, hang.ts): the embedded engine, the worker and the
 * keep-alive for one config, in this process, for as long as `measure` runs; the watcher is stopped after it.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import type { Config } from '../../src/config/schema.js';
import type { KeepAliveTuning } from '../../src/contract/supervision.js';
import type { LockTuning } from '../../src/contract/lock.js';
import { startDevServer } from '../../src/devserver/index.js';
import { ensureKeepAlive } from '../../src/supervision/keep-alive.js';
import { createSupervisorWorker } from '../../src/worker.js';
import { createActivities } from '../../src/activities/index.js';
import { ndjsonAuditSink } from '../../src/audit/index.js';
import { keepAliveWorkflowId } from '../../src/contract/ids.js';

export interface KeepAliveHostOptions {
  tuning?: Partial<KeepAliveTuning>;
  lock?: Partial<LockTuning>;
}

export async function withKeepAlive<T>(
  config: Config,
  options: KeepAliveHostOptions,
  measure: () => Promise<T>,
): Promise<T> {
  const server = await startDevServer({ port: 0 });
  const logger = pino({ level: 'silent' });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const { worker, close } = await createSupervisorWorker({
    config,
    logger,
    connection: nativeConnection,
    client,
    ...(options.lock === undefined ? {} : { lock: options.lock }),
    workerOptions: { shutdownGraceTime: '1s' },
  });
  const running = worker.run();
  try {
    await ensureKeepAlive(client, config, options.tuning ?? {});
    return await measure();
  } finally {
    await client.workflow
      .getHandle(keepAliveWorkflowId(config.worker_id))
      .terminate('bench done')
      .catch(() => undefined);
    const audit = ndjsonAuditSink(path.join(config.paths.logs, 'bench-stop.ndjson'));
    await createActivities({ config, logger, audit })
      .stopWatcher()
      .catch(() => undefined);
    worker.shutdown();
    await running;
    await close();
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
}

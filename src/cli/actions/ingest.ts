import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { prepareFolders } from '../../config/folders.js';
import { startIngest } from '../../ingest.js';
import { configFor, loggerFor, shutdownSignal, temporalAddress } from '../common.js';

/** `supervisor ingest`: only the flag ingest (inbox → workflow starts), until SIGINT/SIGTERM. */
export async function runIngest(options: { worker?: string[] }, command: Command): Promise<void> {
  const { config, source } = await configFor(command);
  const { logger, close } = await loggerFor(command, config);
  prepareFolders(config);
  // Lazy: an unreachable cluster at start-up is the ingest's to report and retry, not a crash. grpc-js
  // would otherwise back off up to 2 min between reconnects; cap it at the ingest's own 30 s backoff.
  const connection = Connection.lazy({
    address: temporalAddress(config),
    channelArgs: { 'grpc.max_reconnect_backoff_ms': 30_000 },
  });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  logger.info(
    { config: source, temporal: temporalAddress(config), namespace: config.temporal.namespace },
    'starting the ingest',
  );
  const ingest = await startIngest({ config, logger, client, workerIds: options.worker });
  await shutdownSignal(logger);
  await ingest.stop();
  await connection.close();
  await close();
}

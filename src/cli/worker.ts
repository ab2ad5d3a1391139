import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Command } from 'commander';
import { prepareFolders } from '../config/folders.js';
import { installTemporalRuntime } from '../observability/temporal-logs.js';
import { ensureSupervision } from '../health/index.js';
import { createSupervisorWorker } from '../worker.js';
import { CliError, configFor, loggerFor, temporalAddress } from './common.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run only the worker of this host (handlers as workflows) until SIGINT/SIGTERM; the engine or cluster must already run')
    .option('--address <host:port>', 'Temporal frontend to connect to (default: temporal.address, or the embedded engine address)')
    .action(async (options: { address?: string }, command: Command) => {
      const { config, source } = configFor(command, { database: true });
      const { logger, close } = loggerFor(command, config);
      prepareFolders(config);
      // The runtime owns SIGINT/SIGTERM: on either it shuts the worker down, letting running activities finish.
      installTemporalRuntime(logger);
      const address = temporalAddress(config, options.address);
      let nativeConnection: NativeConnection;
      let connection: Connection;
      try {
        nativeConnection = await NativeConnection.connect({ address });
        connection = await Connection.connect({ address });
      } catch (error) {
        await close();
        throw new CliError(`cannot reach Temporal at ${address}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const client = new Client({ connection, namespace: config.temporal.namespace });
      try {
        const { worker, close: closeWorker } = await createSupervisorWorker({ config, logger, connection: nativeConnection, client });
        const supervision = await ensureSupervision(client, config);
        logger.info({ config: source, address, worker_id: config.worker_id, ...supervision }, 'supervisor worker running');
        try {
          await worker.run();
        } finally {
          await closeWorker();
        }
        logger.info({}, 'worker stopped');
      } finally {
        await nativeConnection.close();
        await connection.close();
        await close();
      }
    });
}

import { unlink } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { writeJsonAtomic } from '../lib/atomic.js';
import { prepareFolders } from '../config/folders.js';
import { startIngest } from '../ingest.js';
import { drainFlagPath } from '../nas/paths.js';
import { configFor, loggerFor, operatorName, shutdownSignal, temporalAddress } from './common.js';

export function registerIngestCommands(program: Command): void {
  program
    .command('ingest')
    .description(
      'run only the flag ingest: inbox → workflow starts (Temporal must be running: a cluster, or `supervisor devserver`)',
    )
    .option('--worker <id...>', 'worker ids to serve (default: worker_id of the configuration)')
    .action(async (options: { worker?: string[] }, command: Command) => {
      const { config, source } = configFor(command);
      const { logger, close } = loggerFor(command, config);
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
    });

  program
    .command('drain')
    .description('stop taking new flags for a worker: they stay in the inbox until `supervisor undrain`')
    .option('--worker <id>', 'worker to drain (default: worker_id of the configuration)')
    .option('--reason <text>', 'why, recorded in the drain file')
    .action(async (options: { worker?: string; reason?: string }, command: Command) => {
      const { config } = configFor(command);
      const workerId = options.worker ?? config.worker_id;
      const file = drainFlagPath(config.paths.state, workerId);
      await writeJsonAtomic(file, {
        worker_id: workerId,
        by: operatorName() ?? 'unknown',
        at: new Date().toISOString(),
        reason: options.reason ?? null,
      });
      process.stdout.write(`draining ${workerId}: ${file}\n`);
    });

  program
    .command('undrain')
    .description('take flags for a worker again (removes its drain file)')
    .option('--worker <id>', 'worker to resume (default: worker_id of the configuration)')
    .action(async (options: { worker?: string }, command: Command) => {
      const { config } = configFor(command);
      const workerId = options.worker ?? config.worker_id;
      const file = drainFlagPath(config.paths.state, workerId);
      try {
        await unlink(file);
        process.stdout.write(`resumed ${workerId}: removed ${file}\n`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        process.stdout.write(`${workerId} was not draining (${file} absent)\n`);
      }
    });
}

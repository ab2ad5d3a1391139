import type { Command } from 'commander';
import { prepareFolders } from '../config/folders.js';
import { installTemporalRuntime } from '../observability/temporal-logs.js';
import { configFor, loggerFor, temporalAddress } from './common.js';
import { runtimeFor } from './runtime.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run only the worker of this host (handlers as workflows) until SIGINT/SIGTERM; the engine or cluster must already run',
    )
    .option(
      '--address <host:port>',
      'Temporal frontend to connect to (default: temporal.address, or the embedded engine address)',
    )
    .action(async (options: { address?: string }, command: Command) => {
      const { config, source } = configFor(command, { database: true });
      const { logger, close } = loggerFor(command, config);
      prepareFolders(config);
      // The runtime owns SIGINT/SIGTERM: on either it shuts the worker down, letting running activities finish.
      installTemporalRuntime(logger);
      const address = temporalAddress(config, options.address);
      try {
        const runtime = await runtimeFor(config, logger, address);
        logger.info(
          { config: source, address, worker_id: config.worker_id, ...runtime.supervision },
          'supervisor worker running',
        );
        try {
          await runtime.running;
        } finally {
          await runtime.close();
        }
        logger.info({}, 'worker stopped');
      } finally {
        await close();
      }
    });
}

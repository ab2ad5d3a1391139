import type { Command } from 'commander';
import { prepareFolders } from '../../config/folders.js';
import { installTemporalRuntime } from '../../observability/temporal-logs.js';
import { configFor, loggerFor, temporalAddress } from '../common.js';
import { runtimeFor } from './runtime.js';

/** `supervisor worker`: only this host's worker, until SIGINT/SIGTERM. */
export async function runWorker(options: { address?: string }, command: Command): Promise<void> {
  const { config, source } = await configFor(command, { database: true });
  const { logger, close } = await loggerFor(command, config);
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
}

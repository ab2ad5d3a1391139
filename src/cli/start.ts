import type { Command } from 'commander';
import { prepareFolders } from '../config/folders.js';
import { startEngine } from './devserver.js';
import { configFor, loggerFor, shutdownSignal } from './common.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the supervisor on this host (the embedded Temporal engine too, unless temporal.address names a cluster)')
    .action(async (_options, command: Command) => {
      const { config, source } = configFor(command);
      const { logger, close } = loggerFor(command, config);
      prepareFolders(config);
      logger.info({ config: source, worker_id: config.worker_id, nas_root: config.paths.nas_root }, 'configuration valid; folders ready');
      const engine =
        config.temporal.address === 'embedded'
          ? await startEngine({ ...config.temporal.embedded, namespace: config.temporal.namespace }, logger)
          : undefined;
      // Honest until the worker, ingest and health issues land: say plainly that nothing is supervised yet.
      logger.warn(
        { temporal: engine?.address ?? config.temporal.address },
        'worker, ingest and health loop are not built yet: the watcher is NOT supervised and no flag is processed',
      );
      await shutdownSignal(logger);
      await engine?.stop();
      logger.info({}, 'stopped');
      await close();
    });
}

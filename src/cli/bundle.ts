import type { Command } from 'commander';
import { buildWorkflowBundle, ownWorkflowBundle } from '../workflow-bundle.js';
import { loggerFor } from './common.js';

export function registerBundleCommand(program: Command): void {
  program
    .command('bundle')
    .description(
      'build the workflow bundle now (npm run build does; start rebuilds it itself when a workflow file changed)',
    )
    .action(async (_options: unknown, command: Command) => {
      const files = ownWorkflowBundle();
      const { logger, close } = loggerFor(command);
      const started = Date.now();
      const built = await buildWorkflowBundle(files, logger).finally(close);
      process.stdout.write(
        `workflow bundle ${files.file}: ${built.sources} source files, ${Math.round(built.bytes / 1024)} KiB, built in ${Date.now() - started} ms\n`,
      );
    });
}

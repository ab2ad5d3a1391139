import type { Command } from 'commander';
import { buildWorkflowBundle, ownWorkflowBundle } from '../../workflow-bundle.js';
import { loggerFor } from '../common.js';

/** `supervisor bundle`: builds the workflow bundle now and says what it holds. */
export async function runBundle(command: Command): Promise<void> {
  const files = ownWorkflowBundle();
  const { logger, close } = await loggerFor(command);
  const started = Date.now();
  const built = await buildWorkflowBundle(files, logger).finally(close);
  process.stdout.write(
    `workflow bundle ${files.file}: ${built.sources} source files, ${Math.round(built.bytes / 1024)} KiB, built in ${Date.now() - started} ms\n`,
  );
}

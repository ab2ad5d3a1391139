/** One quiet Temporal Runtime per jest module registry: core warnings go to stderr, the rest is dropped. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

export function installQuietRuntime(): void {
  if (Runtime._instance !== undefined) return;
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
      if (message.startsWith('No activities registered')) return;
      process.stderr.write(`[temporal ${level}] ${message} ${meta ? JSON.stringify(meta) : ''}\n`);
    }),
    // jest owns the process: the runtime must not install SIGINT/SIGTERM handlers of its own.
    shutdownSignals: [],
  });
}

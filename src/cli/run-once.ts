import type { Command } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE, configFor, loggerFor, temporalAddress } from './common.js';

const HELP = `
Exit codes:
  0  every handler started from the inbox succeeded and the health check passed
     (watcher running, or paused on purpose)
  1  a handler failed, the health check did not pass, the timeout ran out, or
     Temporal / the embedded engine could not be started or reached
  2  usage or configuration error (nothing was run)

Before the health check the keep-alive gets up to 30 s to start (or restart) the
watcher: on a host where only run-once runs, it runs only while run-once does.

It runs its own worker for the duration: with the embedded engine (temporal.address:
embedded) it also runs the engine in-process, so no supervisor may be running on this
host (the engine's data file is locked); against a cluster its worker polls beside any
other worker of this worker_id, which is harmless (same workflows, same activities).`;

export function registerRunOnceCommand(program: Command): void {
  program
    .command('run-once')
    .description(
      'single pass for hosts where cron or Task Scheduler start the supervisor: one ingest pass, wait for the handlers it started, one health check; exit 0 when all is well, 1 otherwise',
    )
    .option('--timeout <duration>', 'how long the whole pass may take (e.g. 90s, 10m)', '10m')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', HELP)
    .action(async (options: { timeout: string; json?: boolean }, command: Command) => {
      const { Duration } = await import('../config/units.js');
      const timeout = Duration.safeParse(options.timeout);
      if (!timeout.success || timeout.data <= 0)
        throw new CliError(
          `--timeout: expected a duration like "90s" or "10m", got ${JSON.stringify(options.timeout)}`,
          EXIT_USAGE,
        );
      const { config } = await configFor(command, { database: true });
      const { logger, close } = await loggerFor(command, config);
      const [
        { prepareFolders },
        { installTemporalRuntime },
        { startTemporal },
        { runtimeFor },
        { runOnce, formatRunOnce },
      ] = await Promise.all([
        import('../config/folders.js'),
        import('../observability/temporal-logs.js'),
        import('./actions/start.js'),
        import('./actions/runtime.js'),
        import('../operator/run-once.js'),
      ]);
      try {
        prepareFolders(config);
      } catch (error) {
        throw new CliError(`cannot create the supervisor's folders: ${String(error)}`, EXIT_USAGE);
      }
      installTemporalRuntime(logger);
      const engine = await startTemporal(config, logger);
      try {
        const runtime = await runtimeFor(config, logger, engine?.address ?? temporalAddress(config));
        let report;
        try {
          report = await runOnce({ config, logger, client: runtime.client, timeoutMs: timeout.data });
        } finally {
          await runtime.close();
        }
        process.stdout.write(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatRunOnce(report));
        if (!report.ok) throw new CliError('run-once: not all well (see the report above)', EXIT_FAILURE);
      } finally {
        await engine?.stop();
        await close();
      }
    });
}

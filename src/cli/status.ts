/**
 * `supervisor status`: this host's watcher and supervisor (src/operator/status.ts), or with `--all` every
 * worker of the namespace and with `--worker ID` another host's, from Temporal (src/operator/fleet.ts).
 */
import type { Command } from 'commander';
import { CliError, EXIT_USAGE, configFor, temporalAddress } from './common.js';

interface StatusOptions {
  address?: string;
  json?: boolean;
  all?: boolean;
  worker?: string;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'watcher state, pid, uptime, heartbeat age, restarts in the current window, last and next health run; --all: every worker of the namespace',
    )
    .option('--address <host:port>', 'Temporal frontend (default: temporal.address, or the embedded engine address)')
    .option('--all', 'every worker that reported to this Temporal namespace (from Temporal, not local files)')
    .option('--worker <id>', "another host's worker, through Temporal")
    .option('--json', 'print the report as JSON')
    .action(async (options: StatusOptions, command: Command) => {
      if (options.all === true && options.worker !== undefined)
        throw new CliError('--all and --worker exclude each other', EXIT_USAGE);
      const { config } = await configFor(command);
      const { WorkerId } = await import('../config/schema.js');
      if (options.worker !== undefined && !WorkerId.safeParse(options.worker).success)
        throw new CliError(`--worker ${JSON.stringify(options.worker)} is not a worker id`, EXIT_USAGE);
      const { runStatus, StatusError } = await import('../operator/status.js');
      try {
        const address = temporalAddress(config, options.address);
        process.stdout.write(await runStatus({ config, address, ...options }));
      } catch (error) {
        if (error instanceof StatusError) throw new CliError(error.message);
        throw error;
      }
    });
}

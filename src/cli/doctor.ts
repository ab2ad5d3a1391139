/** `supervisor doctor [--json]`: is this host ready to supervise? One row per check; exit 1 on any Fail. */
import type { Command } from 'commander';
import { CliError, EXIT_FAILURE } from './common.js';
import type { GlobalOptions } from './common.js';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check configuration, folders, Temporal, database, checkout and commands: Pass / Advisory / Fail with a fix; exit 1 on any Fail',
    )
    .option('--address <host:port>', 'Temporal frontend (default: temporal.address, or the embedded engine address)')
    .option('--json', 'print the rows as JSON')
    .action(async (options: { address?: string; json?: boolean }, command: Command) => {
      const { runDoctor, formatDoctor } = await import('../operator/doctor/index.js');
      const { config } = command.optsWithGlobals<GlobalOptions>();
      const report = await runDoctor({ configFile: config, address: options.address });
      process.stdout.write(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatDoctor(report));
      if (!report.ok) throw new CliError(`doctor: ${report.counts.fail} check(s) failed`, EXIT_FAILURE);
    });
}

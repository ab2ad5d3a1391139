#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './common.js';
import { registerApprovalCommands } from './approvals.js';
import { registerBackupCommands } from './backup.js';
import { registerBundleCommand } from './bundle.js';
import { registerCancelCommand } from './cancel.js';
import { registerConfigCommands } from './config.js';
import { registerDevserver } from './devserver.js';
import { registerDoctorCommand } from './doctor.js';
import { registerEventsCommand } from './events.js';
import { registerFlagCommand } from './flag.js';
import { registerIngestCommands } from './ingest.js';
import { registerRunOnceCommand } from './run-once.js';
import { registerShortcutCommands } from './shortcuts.js';
import { registerStart } from './start.js';
import { registerStatusCommand } from './status.js';
import { registerTaskCommands } from './tasks.js';
import { registerWrapCommand } from './wrap.js';
import { registerWorkerCommand } from './worker.js';
import { tolerateClosedConsole } from '../observability/console.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function buildProgram(): Command {
  const program = new Command('supervisor')
    .description('A supervisor for long-running worker processes, built on Temporal.')
    .version(version, '-V, --version')
    .option(
      '-c, --config <file>',
      'configuration file (default: $SUPERVISOR_CONFIG, else config/supervisor.yaml, else built-in defaults)',
    )
    .addOption(
      new Option('--log-level <level>', 'console and file log level').choices([
        'trace',
        'debug',
        'info',
        'warn',
        'error',
      ]),
    )
    .showHelpAfterError('(run "supervisor --help" for usage)')
    .exitOverride();
  registerStart(program);
  registerDevserver(program);
  registerWorkerCommand(program);
  registerIngestCommands(program);
  registerFlagCommand(program);
  registerStatusCommand(program);
  registerTaskCommands(program);
  registerWrapCommand(program);
  registerEventsCommand(program);
  registerConfigCommands(program);
  registerBundleCommand(program);
  registerBackupCommands(program);
  registerDoctorCommand(program);
  registerCancelCommand(program);
  registerApprovalCommands(program);
  registerShortcutCommands(program);
  registerRunOnceCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (error instanceof CliError) {
      process.stderr.write(`supervisor: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `supervisor: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_FAILURE;
  }
}

// Before anything can write: a closed stdout or stderr (EPIPE) must not end a command half way.
tolerateClosedConsole();
process.exitCode = await main(process.argv);

/**
 * `supervisor backup FILE` / `supervisor restore FILE`: the embedded engine's data file (temporal.embedded.db),
 * copied while the engine runs, and put back only while no engine holds it.
 */
import type { Command } from 'commander';
import { CliError, EXIT_USAGE, configFor } from './common.js';

interface DbOption {
  db?: string;
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description("copy the embedded engine's data file (while it runs) to FILE and verify the copy by replaying it")
    .argument('<file>', 'where to write the backup')
    .option('--db <path>', 'data file (default: temporal.embedded.db of the configuration)')
    .action(async (file: string, options: DbOption, command: Command) => {
      const { runBackup, BackupError } = await import('../operator/backup.js');
      const db = await dbFileOf(command, options);
      process.stdout.write(await runBackup(db, file).catch(asCliError(BackupError)));
    });
  program
    .command('restore')
    .description("put a backup in place of the embedded engine's data file (refused while an engine runs on it)")
    .argument('<file>', 'a file written by supervisor backup')
    .option('--db <path>', 'data file (default: temporal.embedded.db of the configuration)')
    .action(async (file: string, options: DbOption, command: Command) => {
      const { runRestore, BackupError } = await import('../operator/backup.js');
      const db = await dbFileOf(command, options);
      process.stdout.write(await runRestore(file, db).catch(asCliError(BackupError)));
    });
}

/** The operator module's own error class becomes a CliError (its message is for the operator as is). */
function asCliError(kind: new (message: string) => Error): (error: unknown) => never {
  return (error) => {
    if (error instanceof kind) throw new CliError(error.message);
    throw error;
  };
}

async function dbFileOf(command: Command, options: DbOption): Promise<string> {
  const db = options.db ?? (await configFor(command)).config.temporal.embedded.db;
  if (db === ':memory:')
    throw new CliError('temporal.embedded.db is ":memory:": the engine keeps no data file to back up', EXIT_USAGE);
  return db;
}

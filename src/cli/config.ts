import type { Command } from 'commander';

export function registerConfigCommands(program: Command): void {
  program
    .command('config')
    .description('validate the configuration and print it resolved (defaults filled in, secrets redacted)')
    .action(async (_options, command: Command) => {
      const { runConfig } = await import('./actions/config.js');
      await runConfig(command);
    });
}

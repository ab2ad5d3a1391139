import type { Command } from 'commander';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description(
      'run the supervisor on this host: worker, keep-alive, health schedule and flag ingest, and the embedded Temporal engine (or, with temporal.address: temporal-cli, the official dev server) unless temporal.address names a cluster',
    )
    .action(async (_options, command: Command) => {
      const { runStart } = await import('./actions/start.js');
      await runStart(command);
    });
}

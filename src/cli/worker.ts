import type { Command } from 'commander';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run only the worker of this host (handlers as workflows) until SIGINT/SIGTERM; the engine or cluster must already run',
    )
    .option(
      '--address <host:port>',
      'Temporal frontend to connect to (default: temporal.address, or the embedded engine address)',
    )
    .action(async (options: { address?: string }, command: Command) => {
      const { runWorker } = await import('./actions/worker.js');
      await runWorker(options, command);
    });
}

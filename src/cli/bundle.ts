import type { Command } from 'commander';

export function registerBundleCommand(program: Command): void {
  program
    .command('bundle')
    .description(
      'build the workflow bundle now (npm run build does; start rebuilds it itself when a workflow file changed)',
    )
    .action(async (_options: unknown, command: Command) => {
      const { runBundle } = await import('./actions/bundle.js');
      await runBundle(command);
    });
}

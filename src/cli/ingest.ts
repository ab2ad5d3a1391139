import type { Command } from 'commander';

export function registerIngestCommands(program: Command): void {
  program
    .command('ingest')
    .description(
      'run only the flag ingest: inbox → workflow starts (Temporal must be running: a cluster, or `supervisor devserver`)',
    )
    .option('--worker <id...>', 'worker ids to serve (default: worker_id of the configuration)')
    .action(async (options: { worker?: string[] }, command: Command) => {
      const { runIngest } = await import('./actions/ingest.js');
      await runIngest(options, command);
    });

  program
    .command('drain')
    .description('stop taking new flags for a worker: they stay in the inbox until `supervisor undrain`')
    .option('--worker <id>', 'worker to drain (default: worker_id of the configuration)')
    .option('--reason <text>', 'why, recorded in the drain file')
    .action(async (options: { worker?: string; reason?: string }, command: Command) => {
      const { runDrain } = await import('./actions/drain.js');
      await runDrain(options, command);
    });

  program
    .command('undrain')
    .description('take flags for a worker again (removes its drain file)')
    .option('--worker <id>', 'worker to resume (default: worker_id of the configuration)')
    .action(async (options: { worker?: string }, command: Command) => {
      const { runUndrain } = await import('./actions/drain.js');
      await runUndrain(options, command);
    });
}

import type { Command } from 'commander';

export function registerEventsCommand(program: Command): void {
  program
    .command('events')
    .description('print the NDJSON event stream (schema v1: {"v":1,"type":…,"at":…,"worker_id":…})')
    .option('--type <type...>', 'only these event types (e.g. task_failed watcher_failed)')
    .option('-f, --follow', 'keep printing new events until interrupted')
    .action(async (options: { type?: string[]; follow?: boolean }, command: Command) => {
      const { runEvents } = await import('./actions/events.js');
      await runEvents(options, command);
    });
}

/**
 * `supervisor wrap --heartbeat FILE -- <cmd> [args]`: runs a program that writes no heartbeat and
 * beats for it while it is alive and producing output. A program silent for longer than the silence
 * timeout gets no more beats, so the keep-alive sees it as hung. Exit code passed through.
 */
import type { Command } from 'commander';
import type { WrapOptions } from './actions/wrap.js';

export function registerWrapCommand(program: Command): void {
  program
    .command('wrap')
    .description(
      'run a program that writes no heartbeat, writing one for it while it is alive and producing output; its exit code is passed through',
    )
    .requiredOption('--heartbeat <file>', 'heartbeat file to write (the watcher heartbeat file of the config)')
    .option('--silence-timeout <duration>', 'no beats after this long without output', '60s')
    .option('--interval <duration>', 'how often to beat', '5s')
    .argument('<command>', 'program to run (after --)')
    .argument('[args...]', 'its arguments')
    .action(async (command: string, args: string[], options: WrapOptions) => {
      const { runWrap } = await import('./actions/wrap.js');
      await runWrap(command, args, options);
    });
}

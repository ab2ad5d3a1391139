import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('must be a port number 0-65535');
  return port;
}

export function registerDevserver(program: Command): void {
  program
    .command('devserver')
    .description(
      'run only the embedded Temporal-compatible engine (for the temporal CLI, tests, or a worker elsewhere)',
    )
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 7233)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--namespace <name>', 'an extra namespace to register besides "default"')
    .option(
      '--db <path>',
      'database file (created if missing); ":memory:" keeps nothing across restarts',
      'var/temporal.db',
    )
    .action(async (options: { port: number; host: string; namespace?: string; db: string }, command: Command) => {
      const { runDevserver } = await import('./actions/devserver.js');
      await runDevserver(options, command);
    });
}

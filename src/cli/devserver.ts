import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { startDevServer } from '../devserver/index.js';
import type { DevServer } from '../devserver/index.js';
import type { Logger } from '../observability/logger.js';
import { CliError, loggerFor, shutdownSignal } from './common.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('must be a port number 0-65535');
  return port;
}

/** Starts the embedded engine, turning "address in use" into an operator-readable error. */
export async function startEngine(
  options: { host: string; port: number; namespace?: string; dbPath?: string },
  logger: Logger,
): Promise<DevServer> {
  try {
    const engine = await startDevServer({ ...options, logger: logger.child({ component: 'devserver' }) });
    logger.info({ address: engine.address }, 'embedded Temporal engine listening');
    return engine;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(`cannot start the embedded Temporal engine on ${options.host}:${options.port}: ${message}`);
  }
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
      const { logger, close } = loggerFor(command);
      const { db, ...rest } = options;
      const engine = await startEngine({ ...rest, dbPath: db }, logger);
      process.stdout.write(`${engine.address}\n`);
      await shutdownSignal(logger);
      await engine.stop();
      await close();
    });
}

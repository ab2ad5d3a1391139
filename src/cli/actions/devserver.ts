import type { Command } from 'commander';
import { startDevServer } from '../../devserver/index.js';
import type { DevServer } from '../../devserver/index.js';
import type { Logger } from '../../observability/logger.js';
import { CliError, loggerFor, shutdownSignal } from '../common.js';

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

/** `supervisor devserver`: only the embedded engine; prints its address, runs until SIGINT/SIGTERM. */
export async function runDevserver(
  options: { port: number; host: string; namespace?: string; db: string },
  command: Command,
): Promise<void> {
  const { logger, close } = await loggerFor(command);
  const { db, ...rest } = options;
  const engine = await startEngine({ ...rest, dbPath: db }, logger);
  process.stdout.write(`${engine.address}\n`);
  await shutdownSignal(logger);
  await engine.stop();
  await close();
}

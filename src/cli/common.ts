/**
 * What every command file may import at its top level: light on purpose (node built-ins and types only).
 * Loading the config schema (zod, yaml) or the logger (pino) is for an action to do, so `--help`,
 * `--version` and a typo answer at once: configFor and loggerFor import them when called.
 */
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { frontendAddress } from '../config/address.js';
import type { ParsedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Logger, createLogger } from '../observability/logger.js';

/** Exit codes shared by every command: 2 = the operator's input (usage, config) is wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure whose message is for the operator as is, with the exit code to leave with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface GlobalOptions {
  config?: string;
  logLevel?: string;
}

/** What a command uses beyond the always-needed sections. */
export interface ConfigNeeds {
  /** Opens the database (start, worker): an unset variable in `database` is then an error, as everywhere else. */
  database?: boolean;
}

/**
 * Loads and validates the configuration named by the global `--config`; a bad one is a usage error.
 * A command that does not open the database runs even when a variable the `database` section needs
 * is unset (`status`, `flag`, `drain` from an operator's shell): the section is then left out, and
 * `unusable.database` says why.
 */
export async function configFor(command: Command, needs: ConfigNeeds = {}): Promise<ParsedConfig & { source: string }> {
  const { config: file } = command.optsWithGlobals<GlobalOptions>();
  const { ConfigError, loadConfig } = await import('../config/load.js');
  try {
    return loadConfig(file, process.env, needs.database === true ? [] : ['database']);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT_USAGE);
    throw error;
  }
}

/** The root logger for a command, honouring `--log-level` over the configured level. */
export async function loggerFor(command: Command, config?: Config): Promise<ReturnType<typeof createLogger>> {
  const { logLevel } = command.optsWithGlobals<GlobalOptions>();
  const { createLogger } = await import('../observability/logger.js');
  return createLogger({
    level: logLevel ?? config?.logging.level ?? 'info',
    file: config?.logging.file,
    rotationSize: config?.logging.rotation_size,
    keepFiles: config?.logging.keep_files,
  });
}

/** Where to reach Temporal: `override`, else the configured cluster, else the embedded engine's listen address. */
export function temporalAddress(config: Config, override?: string): string {
  return override ?? frontendAddress(config);
}

/** Who runs this command, for audits and drain files: `user@host`, or undefined when the OS cannot say (some containers). */
export function operatorName(): string | undefined {
  try {
    return `${userInfo().username}@${hostname()}`.slice(0, 100);
  } catch {
    return undefined;
  }
}

/** Resolves with the signal's name on the first SIGINT or SIGTERM. */
export function shutdownSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutdown requested');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** `--worker ID` checked as a worker id before any connection (exit 2 otherwise); undefined when not given. */
export async function checkedWorker(id: string | undefined): Promise<string | undefined> {
  if (id === undefined) return undefined;
  const { WorkerId } = await import('../config/schema.js');
  const parsed = WorkerId.safeParse(id);
  if (!parsed.success)
    throw new CliError(
      `--worker ${JSON.stringify(id.slice(0, 80))}: ${parsed.error.issues[0]?.message ?? 'not a worker id'}`,
      EXIT_USAGE,
    );
  return id;
}

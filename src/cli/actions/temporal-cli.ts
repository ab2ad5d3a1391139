/**
 * `temporal.address: temporal-cli`: `supervisor start` runs the official `temporal server start-dev` as its
 * child, with the Web UI on, and stops it on shutdown. start-dev does not exit when its parent dies (a
 * SIGKILLed supervisor leaves it running, holding its ports and its SQLite file), so the server's pid is
 * kept in a file beside its data file and the next start stops such a leftover before it starts a new one.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, procArgv, procStat, sendSignal } from '../../activities/process-tree.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import { TEMPORAL_CLI_MISSING, findTemporalCli, startTemporalCliServer } from '../../temporal-cli/dev-server.js';
import type { TemporalCliServer } from '../../temporal-cli/dev-server.js';
import { CliError } from '../common.js';

type TemporalCliConfig = Config['temporal']['temporal_cli'];

interface PidFile {
  pid: number;
  start_ticks?: number;
  address: string;
  ui: string | undefined;
}

/** Where the dev server's files go: its data file (absolute, against the cwd like every config path), pid and log. */
export function temporalCliFiles(options: TemporalCliConfig): { db: string | undefined; pid: string; log: string } {
  const db = options.db === ':memory:' ? undefined : path.resolve(options.db);
  const base = db ?? path.resolve('var', 'temporal-cli');
  return { db, pid: `${base}.pid`, log: `${base}.log` };
}

function readPidFile(file: string): PidFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<PidFile>;
    return typeof parsed.pid === 'number' && parsed.pid > 1 ? (parsed as PidFile) : undefined;
  } catch {
    return undefined;
  }
}

/** Stops the dev server a previous, hard-killed supervisor left running; only one that is provably ours. */
async function stopLeftover(file: string, logger: Logger): Promise<void> {
  const leftover = readPidFile(file);
  if (leftover === undefined) return;
  const { pid, start_ticks: startTicks } = leftover;
  const argv = await procArgv(pid);
  const ours = (await isAlive(pid, startTicks)) && argv?.includes('start-dev') === true;
  if (ours) {
    logger.warn({ pid, address: leftover.address }, 'stopping the temporal dev server a previous start left running');
    sendSignal(pid, 'SIGTERM');
    for (let waited = 0; (await isAlive(pid, startTicks)) && waited < 10_000; waited += 100) await sleep(100);
    if (await isAlive(pid, startTicks)) sendSignal(pid, 'SIGKILL');
    for (let waited = 0; (await isAlive(pid, startTicks)) && waited < 5_000; waited += 100) await sleep(100);
  }
  rmSync(file, { force: true });
}

/** The binary, or the operator's error naming the fix; checked before anything starts that would keep the process up. */
export function requireTemporalCli(): string {
  const binary = findTemporalCli();
  if (binary === undefined) throw new CliError(`temporal.address is temporal-cli, but ${TEMPORAL_CLI_MISSING}`);
  return binary;
}

/**
 * Starts `temporal server start-dev` on the configured ports with the supervisor's search attributes and
 * namespace; a missing binary or a port in use is the operator's to fix, said as such.
 */
export async function startTemporalCli(
  options: TemporalCliConfig,
  namespace: string,
  logger: Logger,
): Promise<TemporalCliServer> {
  const binary = requireTemporalCli();
  const files = temporalCliFiles(options);
  mkdirSync(path.dirname(files.pid), { recursive: true });
  await stopLeftover(files.pid, logger);
  let server: TemporalCliServer;
  try {
    server = await startTemporalCliServer({
      binary,
      host: options.host,
      port: options.port,
      ui: options.ui_port,
      dbFile: files.db,
      logFile: files.log,
      namespaces: namespace === 'default' ? [] : [namespace],
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(
      `cannot start temporal server start-dev on ${options.host}:${options.port} (UI ${options.ui_port}; ` +
        `set temporal.temporal_cli.port/ui_port): ${message}`,
    );
  }
  const record: PidFile = {
    pid: server.pid,
    start_ticks: (await procStat(server.pid))?.startTicks,
    address: server.address,
    ui: server.uiAddress,
  };
  writeFileSync(files.pid, `${JSON.stringify(record)}\n`);
  logger.info(
    {
      address: server.address,
      ui: server.uiAddress,
      server_pid: server.pid,
      db: files.db ?? ':memory:',
      log: files.log,
    },
    'temporal dev server (temporal-cli) running',
  );
  // An exit this code does not see coming (uncaught error, process.exit) still takes the child along; only
  // SIGKILL or a crash of Node itself leaves it running, for stopLeftover on the next start.
  const onExit = (): void => void sendSignal(server.pid, 'SIGTERM');
  process.once('exit', onExit);
  return {
    ...server,
    stop: async () => {
      process.off('exit', onExit);
      await server.stop();
      rmSync(files.pid, { force: true });
    },
  };
}

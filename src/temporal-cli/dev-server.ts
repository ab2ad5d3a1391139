/**
 * The official Temporal dev server (`temporal server start-dev`, the real server with SQLite and the real
 * Web UI), run as a child process: by `supervisor start` with `temporal.address: temporal-cli`, and by the
 * tests and benches that check the engine and the supervisor against the real thing. The binary is the one
 * `scripts/install-temporal-cli.sh` builds (pinned) or any `temporal` on the PATH.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The version `scripts/install-temporal-cli.sh` installs (it bundles server 1.29.1). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the install script puts the binary: git-ignored, inside the project. */
export const PROJECT_TEMPORAL_CLI = path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal');

/** The supervisor's search attributes, registered at launch as a real cluster needs them before a start uses them. */
export const SUPERVISOR_SEARCH_ATTRIBUTES: Readonly<Record<string, string>> = {
  WorkerId: 'Keyword',
  Handler: 'Keyword',
  TaskLabel: 'Text',
};

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * The `temporal` binary to run: $TEMPORAL_CLI, the project's pinned install, then the PATH; undefined when
 * there is none (the caller says how to install it: {@link TEMPORAL_CLI_MISSING}).
 */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TEMPORAL_CLI !== undefined && env.TEMPORAL_CLI !== '')
    return isExecutable(env.TEMPORAL_CLI) ? env.TEMPORAL_CLI : undefined;
  if (isExecutable(PROJECT_TEMPORAL_CLI)) return PROJECT_TEMPORAL_CLI;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && isExecutable(path.join(dir, 'temporal'))) return path.join(dir, 'temporal');
  }
  return undefined;
}

export const TEMPORAL_CLI_MISSING =
  `the official Temporal CLI is not installed: run scripts/install-temporal-cli.sh (needs Go; builds ` +
  `temporal ${TEMPORAL_CLI_VERSION} into .tools/bin), put a \`temporal\` binary on the PATH, or set TEMPORAL_CLI`;

export interface TemporalCliServerOptions {
  /** The binary; default {@link findTemporalCli}. */
  binary?: string;
  host?: string;
  /** Frontend gRPC port; 0 picks a free one. */
  port?: number;
  /** The Web UI's port; 0 picks a free one; `false` runs headless. */
  ui?: number | false;
  /** SQLite file; undefined keeps everything in memory (lost when the server stops). */
  dbFile?: string;
  /** Namespaces besides `default`. */
  namespaces?: readonly string[];
  searchAttributes?: Readonly<Record<string, string>>;
  /** Where the server's own output goes (appended); undefined drops it. */
  logFile?: string;
  /** How long to wait for the frontend to answer. */
  readyTimeoutMs?: number;
}

export interface TemporalCliServer {
  /** host:port of the gRPC frontend. */
  address: string;
  /** http://host:port of the Web UI, or undefined when headless. */
  uiAddress: string | undefined;
  pid: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves once the frontend answers GetSystemInfo; rejects when the child exits first or time runs out. */
async function waitReady(child: ChildProcess, address: string, timeoutMs: number, output: () => string): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `temporal server start-dev exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`,
      );
    try {
      const connection = await Connection.connect({ address, connectTimeout: '2s' });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      last = error;
      await sleep(100);
    }
  }
  throw new Error(
    `temporal server start-dev at ${address} did not answer within ${timeoutMs} ms: ${String(last)}\n${output()}`,
  );
}

/** Starts `temporal server start-dev` and resolves once its frontend answers. */
export async function startTemporalCliServer(options: TemporalCliServerOptions = {}): Promise<TemporalCliServer> {
  const binary = options.binary ?? findTemporalCli();
  if (binary === undefined) throw new Error(TEMPORAL_CLI_MISSING);
  const host = options.host ?? '127.0.0.1';
  const port = options.port === undefined || options.port === 0 ? await freePort(host) : options.port;
  const ui =
    options.ui === undefined || options.ui === false ? undefined : options.ui === 0 ? await freePort(host) : options.ui;
  const args = ['server', 'start-dev', '--ip', host, '--port', String(port), '--log-level', 'warn'];
  args.push(...(ui === undefined ? ['--headless'] : ['--ui-port', String(ui)]));
  if (options.dbFile !== undefined) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const namespace of options.namespaces ?? []) args.push('--namespace', namespace);
  for (const [key, type] of Object.entries(options.searchAttributes ?? SUPERVISOR_SEARCH_ATTRIBUTES))
    args.push('--search-attribute', `${key}=${type}`);
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let recent = '';
  const log = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a' });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      recent = (recent + chunk.toString()).slice(-4_000);
      log?.write(chunk);
    });
  }
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await spawned;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
    }
    log?.end();
  };
  const address = `${host}:${port}`;
  try {
    await waitReady(child, address, options.readyTimeoutMs ?? 60_000, () => recent);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, uiAddress: ui === undefined ? undefined : `http://${host}:${ui}`, pid: child.pid ?? 0, stop };
}

/** Embedded Temporal-compatible engine: a gRPC WorkflowService the real SDK talks to unchanged. */
import { startEngineServer } from './server.js';
import type { DevServerLogger } from './state/engine.js';

export type { DevServerLogger } from './state/engine.js';

export interface DevServerOptions {
  /** 0 = any free port; default 7233. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Extra namespace registered at start besides 'default'. */
  namespace?: string;
  logger?: DevServerLogger;
  /**
   * Database file (a crash-safe append-only log, created with its folder if missing). Absent or ':memory:':
   * nothing is persisted, as before.
   */
  dbPath?: string;
  /** Retention (ms) of namespaces registered without one, 'default' included; default one day like `temporal server start-dev`. */
  retentionMs?: number;
  /** Compact the log once it passes this size (and twice its size after the last compaction); default 64 MiB. */
  compactAfterBytes?: number;
}

export interface DevServer {
  /** "host:port" */
  address: string;
  stop(): Promise<void>;
}

const silent: DevServerLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The real server ends an empty long poll after about a minute. */
const LONG_POLL_MS = 60_000;
const QUERY_TIMEOUT_MS = 30_000;

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const server = await startEngineServer({
    port: options.port ?? 7233,
    host: options.host ?? '127.0.0.1',
    namespace: options.namespace,
    logger: options.logger ?? silent,
    engine: { longPollMs: LONG_POLL_MS, queryTimeoutMs: QUERY_TIMEOUT_MS },
    dbPath: options.dbPath && options.dbPath !== ':memory:' ? options.dbPath : undefined,
    retentionMs: options.retentionMs,
    compactAfterBytes: options.compactAfterBytes,
  });
  return { address: server.address, stop: () => server.stop() };
}

/** `supervisor backup` / `restore`: a consistent copy of a running engine's data file, and a locked swap-in. */
export { backupDatabase, restoreDatabase } from './persist/backup.js';
export type { DatabaseSummary, RestoreSummary } from './persist/backup.js';

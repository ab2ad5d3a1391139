/**
 * The one switch for every Temporal-backed test: `TEMPORAL_SERVER=engine` (default) runs them against the
 * embedded engine, `TEMPORAL_SERVER=temporal-cli` against the official `temporal server start-dev` (the
 * binary of scripts/install-temporal-cli.sh), each test file with a server of its own on free ports.
 * Asked for the real server without the binary, a suite fails with how to install it: never a silent pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer } from '../../src/devserver/index.js';
import type { DevServerOptions } from '../../src/devserver/index.js';
import { TEMPORAL_CLI_MISSING, findTemporalCli, startTemporalCliServer } from '../../src/temporal-cli/dev-server.js';

export type ServerKind = 'engine' | 'temporal-cli';

function serverKind(value: string | undefined): ServerKind {
  if (value === undefined || value === '' || value === 'engine') return 'engine';
  if (value === 'temporal-cli') return 'temporal-cli';
  throw new Error(`TEMPORAL_SERVER=${value}: must be "engine" or "temporal-cli"`);
}

/** The server this run of the suite is for. */
export const SERVER_KIND: ServerKind = serverKind(process.env.TEMPORAL_SERVER);
export const onRealServer = SERVER_KIND === 'temporal-cli';

export interface TestServer {
  kind: ServerKind;
  address: string;
  namespace: 'default';
  /** The Web UI (real server started with `ui: true` only). */
  uiAddress: string | undefined;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** The real server's Web UI on a free port (ignored by the engine, which has none). */
  ui?: boolean;
  /** Namespaces besides `default`. */
  namespaces?: readonly string[];
  /** A fixed port (a server that must come back where it was); default a free one. */
  port?: number;
  /** Which server, when a test needs one regardless of the switch (e.g. the CLI tests run against both). */
  kind?: ServerKind;
  /** Engine options (logger, tuning) when the engine is the one started. */
  engine?: DevServerOptions;
}

/** Why the real server cannot run here, or undefined when it can. */
export function realServerMissing(): string | undefined {
  return findTemporalCli() === undefined ? TEMPORAL_CLI_MISSING : undefined;
}

/** Starts the selected server; stop() removes its data. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const kind = options.kind ?? SERVER_KIND;
  if (kind === 'engine') {
    const server = await startDevServer({ port: options.port ?? 0, ...options.engine });
    return { kind, address: server.address, namespace: 'default', uiAddress: undefined, stop: () => server.stop() };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'temporal-cli-'));
  const server = await startTemporalCliServer({
    port: options.port,
    ui: options.ui === true ? 0 : false,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'server.log'),
    namespaces: options.namespaces,
  });
  return {
    kind,
    address: server.address,
    namespace: 'default',
    uiAddress: server.uiAddress,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

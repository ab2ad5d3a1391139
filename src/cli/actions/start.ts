import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { prepareFolders } from '../../config/folders.js';
import { startIngest } from '../../ingest.js';
import type { Ingest } from '../../ingest.js';
import { startHttpServer } from '../../observability/http.js';
import type { HttpServer } from '../../observability/http.js';
import type { Logger } from '../../observability/logger.js';
import { createMetrics } from '../../observability/metrics.js';
import { installTemporalRuntime } from '../../observability/temporal-logs.js';
import { createPanel } from '../../panel/panel.js';
import { keepAliveState } from '../../supervision/index.js';
import { CliError, configFor, loggerFor, shutdownSignal, temporalAddress } from '../common.js';
import { startEngine } from './devserver.js';
import { runtimeFor } from './runtime.js';
import { requireTemporalCli, startTemporalCli } from './temporal-cli.js';

/**
 * /metrics, /healthz, /readyz and the operator web panel over what this process runs; a port in use is the
 * operator's to fix.
 */
async function serveHttp(
  config: Config,
  parts: { worker: Worker; ingest: Ingest; client: Client },
  logger: Logger,
): Promise<HttpServer> {
  const { worker, ingest, client } = parts;
  const registry = createMetrics(config.worker_id, {
    workerRunning: () => worker.getState() === 'RUNNING',
    ingestTemporalOk: () => ingest.status().temporal === 'ok',
    draining: () => ingest.status().draining.length,
    keepAlive: () => keepAliveState(client, config.worker_id),
  });
  const readiness = () => ({ worker: worker.getState() === 'RUNNING', temporal: ingest.status().temporal === 'ok' });
  try {
    const panel = createPanel({
      client,
      operatorTokens: config.http.operator_tokens,
      logger: logger.child({ component: 'panel' }),
    });
    return await startHttpServer({
      ...config.http,
      registry,
      readiness,
      logger: logger.child({ component: 'http' }),
      routes: panel.routes,
    });
  } catch (error) {
    throw new CliError(
      `cannot serve http on ${config.http.host}:${config.http.port} (set http.port, or http.enabled: false): ${String(error)}`,
    );
  }
}

/** The Temporal this process runs itself (the embedded engine, the official dev server), or none for a cluster. */
export async function startTemporal(
  config: Config,
  logger: Logger,
): Promise<{ address: string; stop(): Promise<void> } | undefined> {
  const { address, embedded, temporal_cli: temporalCli, namespace } = config.temporal;
  if (address === 'embedded') return startEngine({ ...embedded, dbPath: embedded.db, namespace }, logger);
  if (address === 'temporal-cli') return startTemporalCli(temporalCli, namespace, logger);
  return undefined;
}

/** Worker, keep-alive, ingest and http against Temporal at `address`, until SIGINT/SIGTERM or the worker stops. */
async function runUntilSignal(config: Config, logger: Logger, address: string): Promise<void> {
  const runtime = await runtimeFor(config, logger, address);
  const { worker, client, running, supervision } = runtime;
  const ingest = await startIngest({ config, logger, client });
  const http = config.http.enabled ? await serveHttp(config, { worker, ingest, client }, logger) : undefined;
  logger.info(
    { temporal: address, worker_id: config.worker_id, inbox: config.paths.inbox, ...supervision },
    'supervisor running: worker, keep-alive, health schedule and ingest',
  );

  // The Temporal runtime shuts the worker down on SIGINT/SIGTERM itself; the same signal ends everything else.
  await Promise.race([shutdownSignal(logger), running]);
  await http?.close();
  await ingest.stop();
  await runtime.close();
}

/** `supervisor start`: everything of this host in one process, until SIGINT/SIGTERM. */
export async function runStart(command: Command): Promise<void> {
  const { config, source } = await configFor(command, { database: true });
  const { logger, close } = await loggerFor(command, config);
  prepareFolders(config);
  logger.info(
    { config: source, worker_id: config.worker_id, nas_root: config.paths.nas_root },
    'configuration valid; folders ready',
  );
  // Before the Temporal runtime is installed: once it is, an error no longer ends the process by itself.
  if (config.temporal.address === 'temporal-cli') requireTemporalCli();
  installTemporalRuntime(logger);
  const engine = await startTemporal(config, logger);
  try {
    // A Temporal this process started is stopped however the rest ends: a dev server child would outlive it.
    await runUntilSignal(config, logger, engine?.address ?? temporalAddress(config));
  } finally {
    await engine?.stop();
  }
  logger.info({}, 'stopped');
  await close();
}

/**
 * The supervisor's own worker (createSupervisorWorker) against either server of test/helpers/temporal-server.ts,
 * chosen per call: for the tests that drive the official `temporal` CLI and the real Web UI against the
 * supervisor on both servers. Each config gets a fresh worker id on a temp NAS, the fake watcher and a
 * dependency install that, when `depsGate` is given, waits until that file exists (a run that stays busy).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Config } from '../../src/config/schema.js';
import { createSupervisorWorker } from '../../src/worker.js';
import { installQuietRuntime } from '../devserver/runtime.js';
import { FAST_TIMING, TEST_LOCK, silentLogger } from './config.js';
import { fakeWatcherArgs } from './fake-watcher.js';
import { loadSupervisorBundle } from './supervisor-env.js';
import type { RunningWorker } from './supervisor-env.js';
import { startTestServer } from './temporal-server.js';
import type { TestServer, TestServerOptions } from './temporal-server.js';

export interface ServerEnvConfigOptions {
  repoDir?: string;
  /** The dependency install polls for this file and only then succeeds. */
  depsGate?: string;
}

export interface ServerEnv {
  server: TestServer;
  client: Client;
  config(dir: string, options?: ServerEnvConfigOptions): Config;
  startWorker(config: Config): Promise<RunningWorker>;
  teardown(): Promise<void>;
}

const gatedInstall = (gate: string): string =>
  `const fs = require('node:fs'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(gate)})) ` +
  `{ clearInterval(t); } }, 25);`;

export async function startServerEnv(options: TestServerOptions): Promise<ServerEnv> {
  installQuietRuntime();
  const [bundle, server] = await Promise.all([loadSupervisorBundle(), startTestServer(options)]);
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const workers = new Set<RunningWorker>();
  let seq = 0;
  return {
    server,
    client,
    config(dir, configOptions = {}) {
      seq += 1;
      const workerId = `C${process.pid}-${seq}`;
      const heartbeatFile = path.join(dir, '00_STATE', `watcher_heartbeat_${workerId}.json`);
      const marker = path.join(dir, 'deps-installed.txt');
      const install =
        configOptions.depsGate === undefined
          ? `require('node:fs').appendFileSync(${JSON.stringify(marker)}, process.cwd() + '\\n')`
          : gatedInstall(configOptions.depsGate);
      const config = Config.parse({
        worker_id: workerId,
        paths: { nas_root: dir },
        watcher: {
          command: process.execPath,
          args: fakeWatcherArgs({ variant: 'well-behaved', heartbeatFile, intervalMs: 50 }),
          cwd: dir,
          stop_timeout: '1s',
        },
        repo: {
          dir: configOptions.repoDir ?? dir,
          deps_install: { command: process.execPath, args: ['-e', install], timeout: '2m' },
        },
      });
      for (const folder of Object.values(config.paths)) mkdirSync(folder, { recursive: true });
      return config;
    },
    async startWorker(config) {
      const { worker, close } = await createSupervisorWorker({
        config,
        logger: silentLogger,
        connection: nativeConnection,
        client,
        workflowBundle: bundle,
        timing: FAST_TIMING,
        lock: TEST_LOCK,
        workerOptions: { shutdownGraceTime: '1s' },
      });
      const running = worker.run();
      let stopped: Promise<void> | undefined;
      const handle: RunningWorker = {
        stop: () => {
          stopped ??= (async () => {
            worker.shutdown();
            await running;
            await close();
            workers.delete(handle);
          })();
          return stopped;
        },
      };
      workers.add(handle);
      return handle;
    },
    async teardown() {
      for (const worker of [...workers]) await worker.stop().catch(() => undefined);
      await connection.close();
      await nativeConnection.close();
      await server.stop();
    },
  };
}

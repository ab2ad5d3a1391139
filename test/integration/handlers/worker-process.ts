/**
 * A supervisor worker in its own process, for tests that SIGKILL it. Run with tsx:
 *   tsx worker-process.ts <address> <config.json> <bundle.js>
 * Prints "ready" once polling; runs until killed.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import type { Config } from '../../../src/config/schema.js';
import { createSupervisorWorker } from '../../../src/worker.js';
import { FAST_TIMING, silentLogger, TEST_LOCK } from '../../helpers/config.js';

const [address, configFile, bundleFile] = process.argv.slice(2);
if (address === undefined || configFile === undefined || bundleFile === undefined)
  throw new Error('usage: worker-process <address> <config.json> <bundle.js>');
Runtime.install({ logger: new DefaultLogger('ERROR') });
const config = JSON.parse(readFileSync(configFile, 'utf8')) as Config;
const nativeConnection = await NativeConnection.connect({ address });
const client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
const { worker } = await createSupervisorWorker({
  config,
  logger: silentLogger,
  connection: nativeConnection,
  client,
  workflowBundle: { code: readFileSync(bundleFile, 'utf8') },
  timing: FAST_TIMING,
  lock: TEST_LOCK,
});
process.stdout.write('ready\n');
await worker.run();

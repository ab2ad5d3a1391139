/**
 * The ingest as a child process for the crash loop: started with `node --import tsx`, killed with SIGKILL.
 * CRASH_AT (before-start | after-start) and CRASH_P make it SIGKILL itself right around a start, the two
 * windows where a crash could lose or repeat a flag; the parent also kills it at random moments.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { startIngest } from '../../../src/ingest.js';
import { testConfig } from '../../helpers/config.js';

const root = process.env.INGEST_ROOT ?? '';
const address = process.env.TEMPORAL_ADDRESS ?? '';
const workerIds = (process.env.WORKER_IDS ?? 'W1').split(',');
const crashAt = new Set((process.env.CRASH_AT ?? '').split(',').filter((s) => s !== ''));
const probability = Number(process.env.CRASH_P ?? '0');

function maybeCrash(point: string): void {
  if (!crashAt.has(point) || Math.random() >= probability) return;
  // Written synchronously first, so the parent can check that both windows were really hit.
  appendFileSync(path.join(root, 'crashes.log'), `${point}\n`);
  process.kill(process.pid, 'SIGKILL');
}

const connection = await Connection.connect({ address });
const client = new Client({ connection, namespace: 'default' });
const start = client.workflow.start.bind(client.workflow);
client.workflow.start = (async (...args: Parameters<typeof start>) => {
  maybeCrash('before-start');
  const handle = await start(...args);
  maybeCrash('after-start');
  return handle;
}) as typeof client.workflow.start;

const logger = pino({ level: 'warn' }, process.stderr);
const ingest = await startIngest({ config: testConfig(root), logger, client, workerIds });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void ingest
    .stop()
    .then(() => connection.close())
    .then(() => process.exit(0));
});

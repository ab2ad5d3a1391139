import { readdir } from 'node:fs/promises';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { receiptPath } from '../../../src/nas/paths.js';
import { useTempDir } from '../../helpers/tmp.js';
import { testConfig } from '../../helpers/config.js';
import { waitFor } from '../../helpers/process.js';
import { WORKER_ID, dropFlag, flagName, runIngest, startEngine, waitForJson, workflowExists } from './harness.js';
import type { Engine } from './harness.js';

const tmp = useTempDir('ingest-down-');
let engine: Engine | undefined;
afterAll(async () => {
  await engine?.teardown();
});

/** Names the step in a failure: several steps here can fail with the same gRPC message. */
async function step<T>(what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (error) {
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ingest: Temporal unreachable', () => {
  it('keeps the flag, logs once, and starts it once Temporal is back', async () => {
    // Learn a free port from an engine, then stop it: the ingest starts against a dead address.
    const first = await step('first engine', startEngine());
    const address = first.server.address;
    const port = Number(address.split(':').pop());
    await first.teardown();

    const root = tmp();
    const config = testConfig(root);
    // grpc-js waits out its reconnect backoff (up to 2 min by default) before it tries a dead address again;
    // keep that short so the test measures the ingest's retry, not the channel's. Its own channel options
    // also keep it from sharing a subchannel (and that backoff) with the harness's connection.
    const connection = Connection.lazy({
      address,
      channelArgs: { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 1_000 },
    });
    const client = new Client({ connection, namespace: 'default' });
    const { ingest, records } = await runIngest(client, config);
    try {
      const id = `t_down_${String(Date.now())}`;
      await dropFlag(config.paths.inbox, flagName('update_code'), { task_id: id, handler: 'update_code' });
      await waitFor('failing state', async () => (ingest.status().temporal === 'failing' ? true : undefined), 30_000);
      // Several retries happen meanwhile (backoff from 0.5 s); the log says it once.
      await pause(3_000);
      expect(await readdir(config.paths.inbox)).toEqual([flagName('update_code')]);
      const errors = records.filter((r) => r.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.msg).toMatch(/Temporal cannot take starts/);

      engine = await step('restart the engine on the same port', startEngine({ port }));
      await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'accepted'), 60_000);
      expect(await readdir(config.paths.inbox)).toEqual([]);
      expect(await workflowExists(engine.client, `${WORKER_ID}/${id}`)).toBe(true);
      expect(ingest.status().temporal).toBe('ok');
      expect(records.filter((r) => r.msg === 'Temporal takes starts again; resuming')).toHaveLength(1);
      expect(records.filter((r) => r.level === 50)).toHaveLength(1);
    } finally {
      await ingest.stop();
      await connection.close();
    }
  }, 120_000);

  it('a cluster refusing the starts (unknown namespace) keeps the flag and says why, once', async () => {
    engine ??= await startEngine();
    const root = tmp();
    const config = testConfig(root);
    const client = new Client({ connection: engine.connection, namespace: 'no-such-namespace' });
    const { ingest, records } = await runIngest(client, config);
    try {
      await dropFlag(config.paths.inbox, flagName('diagnostics'), {
        task_id: `t_refused_${String(Date.now())}`,
        handler: 'diagnostics',
      });
      await waitFor('failing state', async () => (ingest.status().temporal === 'failing' ? true : undefined), 30_000);
      await pause(2_000);
      await ingest.idle();
      expect(await readdir(config.paths.inbox)).toEqual([flagName('diagnostics')]);
      expect(await readdir(config.paths.outbox)).toEqual([]);
      const errors = records.filter((r) => r.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ reason: 'refusing', error: expect.stringMatching(/no-such-namespace/) });
    } finally {
      await ingest.stop();
    }
  });
});

import { readdir } from 'node:fs/promises';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { receiptPath } from '../../../src/ingest.js';
import { useTempDir } from '../../helpers/tmp.js';
import { WORKER_ID, dropFlag, flagName, runIngest, startEngine, testConfig, waitFor, waitForJson, workflowExists } from './harness.js';
import type { Engine } from './harness.js';

const tmp = useTempDir('ingest-down-');
let engine: Engine | undefined;
afterAll(async () => {
  await engine?.teardown();
});

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ingest: Temporal unreachable', () => {
  it('keeps the flag, logs once, and starts it once Temporal is back', async () => {
    // Learn a free port from an engine, then stop it: the ingest starts against a dead address.
    const first = await startEngine();
    const address = first.server.address;
    const port = Number(address.split(':').pop());
    await first.teardown();

    const root = tmp();
    const config = testConfig(root);
    const connection = Connection.lazy({ address });
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

      engine = await startEngine({ port });
      await waitForJson(receiptPath(config.paths.outbox, id, 'accepted'), 60_000);
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
});

/**
 * Flags handled side by side (issue 16): a burst for several workers goes through the worker lanes with
 * their starts and finishings overlapping, and a name is reused the moment its flag has left the inbox.
 * Outcomes only: every flag started exactly once, none left, one receipt, ledger line and event each.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { HANDLERS } from '../../../src/flags/index.js';
import { eventsFileOf, ledgerPath, receiptPath } from '../../../src/nas/paths.js';
import { testConfig } from '../../helpers/config.js';
import { waitFor } from '../../helpers/process.js';
import { WORKER_ID, dropFlag, flagName, listedWith, readJson, waitForJson, useIngestEnv } from './harness.js';

const { engine, tmp, runIngest } = useIngestEnv('ingest-burst-');

const linesOf = async (file: string): Promise<Record<string, unknown>[]> =>
  (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('ingest: flags side by side', () => {
  it('a burst for more workers than run at once: each flag started exactly once, with its receipt, ledger line and event', async () => {
    const root = tmp();
    const config = testConfig(root);
    const { inbox, outbox, state } = config.paths;
    // More workers than the lanes run at once (32), each with one flag per handler.
    const workers = Array.from({ length: 40 }, (_, i) => `BW${String(i)}`);
    const { ingest } = await runIngest(config, workers);
    await ingest.idle();
    const staged = path.join(root, 'staged');
    await mkdir(staged);
    const expected: string[] = [];
    for (const workerId of workers)
      for (const handler of HANDLERS) {
        const taskId = `t_burst_${handler}`;
        await writeFile(path.join(staged, flagName(handler, workerId)), JSON.stringify({ task_id: taskId, handler }));
        expected.push(`${workerId}/${taskId}`);
      }
    // All renamed in one go, as a burst arrives.
    const names = await readdir(staged);
    await Promise.all(names.map((name) => rename(path.join(staged, name), path.join(inbox, name))));
    await waitFor('the inbox to empty', async () => ((await readdir(inbox)).length === 0 ? true : undefined), 60_000);
    await ingest.idle();

    const ids = await listedWith(engine.client, expected);
    for (const id of expected) expect(ids.filter((started) => started === id)).toHaveLength(1);
    const events = await linesOf(eventsFileOf(config.paths));
    for (const workerId of workers) {
      const ledger = await linesOf(ledgerPath(state, workerId));
      expect(ledger.map((entry) => entry.task_id).sort()).toEqual(HANDLERS.map((h) => `t_burst_${h}`).sort());
      for (const handler of HANDLERS) {
        const receipt = await readJson(receiptPath(outbox, workerId, `t_burst_${handler}`, 'accepted'));
        expect(receipt).toMatchObject({ worker_id: workerId, handler, workflow_id: `${workerId}/t_burst_${handler}` });
        const entry = ledger.find((line) => line.task_id === `t_burst_${handler}`);
        expect(entry?.run_id).toBe(receipt.run_id);
        expect(
          events.filter((e) => e.type === 'flag_accepted' && e.worker_id === workerId && e.handler === handler),
        ).toHaveLength(1);
      }
    }
    expect(events.filter((e) => e.type !== 'flag_accepted')).toEqual([]);
  });

  it('a name reused as soon as its flag has left the inbox is taken again each time', async () => {
    const root = tmp();
    const config = testConfig(root);
    const { ingest } = await runIngest(config);
    await ingest.idle();
    const name = flagName('diagnostics');
    for (let i = 0; i < 5; i += 1) {
      const taskId = `t_reuse_${String(i)}`;
      await dropFlag(config.paths.inbox, name, { task_id: taskId, handler: 'diagnostics' });
      const receipt = await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, taskId, 'accepted'));
      expect(receipt.workflow_id).toBe(`${WORKER_ID}/${taskId}`);
    }
    const reused = Array.from({ length: 5 }, (_, i) => `${WORKER_ID}/t_reuse_${String(i)}`);
    const ids = await listedWith(engine.client, reused);
    for (let i = 0; i < 5; i += 1)
      expect(ids.filter((id) => id === `${WORKER_ID}/t_reuse_${String(i)}`)).toHaveLength(1);
  });
});

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { Ingest } from '../../../src/ingest.js';
import { HANDLER_KEY, TASK_LABEL_KEY, WORKER_ID_KEY } from '../../../src/ingest.js';
import { ledgerPath, receiptPath } from '../../../src/nas/paths.js';
import { testConfig } from '../../helpers/config.js';
import { waitFor } from '../../helpers/process.js';
import {
  WORKER_ID,
  dropFlag,
  exists,
  flagName,
  listWorkflowIds,
  readJson,
  waitForJson,
  workflowExists,
  useIngestEnv,
} from './harness.js';
import { releaseSignal } from './workflows.js';

const { engine, tmp, runIngest } = useIngestEnv('ingest-');

const ingestFor = (root: string): Promise<{ ingest: Ingest; records: Record<string, unknown>[] }> =>
  runIngest(testConfig(root));

let seq = 0;
const taskId = (label: string): string => `t_${label}_${String(Date.now())}_${String(++seq)}`;

describe('ingest: valid flags', () => {
  it('starts one workflow with the derived id, writes the receipt and removes the flag', async () => {
    const root = tmp();
    const config = testConfig(root);
    await ingestFor(root);
    const id = taskId('valid');
    const flag = await dropFlag(config.paths.inbox, flagName('rollback_code'), {
      task_id: id,
      handler: 'rollback_code',
      label: 'AA v1-2',
      params: { commits_back: 3 },
    });
    const receipt = await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'accepted'));
    const workflowId = `${WORKER_ID}/${id}`;
    expect(receipt).toMatchObject({
      task_id: id,
      workflow_id: workflowId,
      handler: 'rollback_code',
      label: 'AA v1-2',
      worker_id: WORKER_ID,
    });
    expect(receipt.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await exists(flag)).toBe(false);
    const handle = engine.client.workflow.getHandle(workflowId);
    expect(await handle.result()).toEqual({ success: true, details: { task_id: id, workflow_id: workflowId } });
    const description = await handle.describe();
    expect(description.runId).toBe(receipt.run_id);
    expect(description.type).toBe('rollback_code');
    expect(description.taskQueue).toBe(`supervisor-${WORKER_ID}`);
    expect(description.memo).toEqual({ file: flagName('rollback_code'), sha256: receipt.sha256 });
    expect(description.typedSearchAttributes.get(WORKER_ID_KEY)).toBe(WORKER_ID);
    expect(description.typedSearchAttributes.get(HANDLER_KEY)).toBe('rollback_code');
    expect(description.typedSearchAttributes.get(TASK_LABEL_KEY)).toBe('AA v1-2');
    // Registered by the ingest at start-up, as a real cluster requires.
    const { customAttributes } = await engine.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(customAttributes).toMatchObject({ WorkerId: 2, Handler: 2, TaskLabel: 1 });
    const ledger = await readJson(ledgerPath(config.paths.state, WORKER_ID)).catch(() => undefined);
    expect(ledger).toMatchObject({ task_id: id, run_id: receipt.run_id });
  });
});

describe('ingest: the same task_id twice', () => {
  it('while the first run is still running: one run, the second reported as a duplicate', async () => {
    const root = tmp();
    const config = testConfig(root);
    await ingestFor(root);
    const id = taskId('running');
    await dropFlag(config.paths.inbox, flagName('diagnostics'), {
      task_id: id,
      handler: 'diagnostics',
      label: 'hold first',
    });
    const accepted = await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'accepted'));
    await dropFlag(config.paths.inbox, flagName('diagnostics'), {
      task_id: id,
      handler: 'diagnostics',
      label: 'hold second',
    });
    const duplicate = await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'duplicate'));
    expect(duplicate).toMatchObject({ task_id: id, run_id: accepted.run_id, duplicate_of: 'ledger' });
    expect(await exists(path.join(config.paths.inbox, flagName('diagnostics')))).toBe(false);
    const handle = engine.client.workflow.getHandle(`${WORKER_ID}/${id}`);
    await handle.signal(releaseSignal);
    await handle.result();
    expect((await listWorkflowIds(engine.client)).filter((w) => w === `${WORKER_ID}/${id}`)).toHaveLength(1);
  });

  it('after completion and after a restart of the ingest: still one run', async () => {
    const root = tmp();
    const config = testConfig(root);
    const first = await ingestFor(root);
    const id = taskId('restart');
    await dropFlag(config.paths.inbox, flagName('verify_db'), { task_id: id, handler: 'verify_db' });
    const accepted = await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'accepted'));
    await engine.client.workflow.getHandle(`${WORKER_ID}/${id}`).result();
    await dropFlag(config.paths.inbox, flagName('verify_db'), { task_id: id, handler: 'verify_db', label: 'again' });
    await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'duplicate'));
    await first.ingest.stop();
    // A new ingest, same state folder: the ledger remembers even without asking Temporal.
    await ingestFor(root);
    await dropFlag(config.paths.inbox, flagName('verify_db'), { task_id: id, handler: 'verify_db', label: 'third' });
    await waitFor(
      'third flag handled',
      async () => ((await exists(path.join(config.paths.inbox, flagName('verify_db')))) ? undefined : true),
      30_000,
    );
    const duplicate = await readJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'duplicate'));
    expect(duplicate).toMatchObject({ label: 'third', run_id: accepted.run_id, duplicate_of: 'ledger' });
    expect((await listWorkflowIds(engine.client)).filter((w) => w === `${WORKER_ID}/${id}`)).toHaveLength(1);
  });

  it('a task_id Temporal already has but the ledger does not is a duplicate, not a second run', async () => {
    const root = tmp();
    const config = testConfig(root);
    const id = taskId('elsewhere');
    // Started outside the ingest (e.g. `temporal workflow start`), so only Temporal knows it.
    await engine.client.workflow.start('diagnostics', {
      workflowId: `${WORKER_ID}/${id}`,
      taskQueue: `supervisor-${WORKER_ID}`,
      args: [{ task_id: id, handler: 'diagnostics', label: 'hold' }],
    });
    await ingestFor(root);
    await dropFlag(config.paths.inbox, flagName('diagnostics'), { task_id: id, handler: 'diagnostics' });
    const duplicate = await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'duplicate'));
    expect(duplicate).toMatchObject({ duplicate_of: 'temporal', workflow_id: `${WORKER_ID}/${id}` });
    expect(await exists(receiptPath(config.paths.outbox, WORKER_ID, id, 'accepted'))).toBe(false);
    await engine.client.workflow.getHandle(`${WORKER_ID}/${id}`).signal(releaseSignal);
  });
});

describe('ingest: start-up and order', () => {
  it('starts flags dropped while it was stopped, once each, in priority order', async () => {
    const root = tmp();
    const config = testConfig(root);
    const ids: Record<string, string> = {};
    // Oldest first on disk is the lowest priority, so priority (not file time) must decide.
    for (const handler of [
      'verify_db',
      'restart_watcher',
      'diagnostics',
      'update_code',
      'pause_watcher',
      'rollback_code',
    ]) {
      ids[handler] = taskId(handler);
      await dropFlag(config.paths.inbox, flagName(handler), { task_id: ids[handler], handler });
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const { ingest } = await ingestFor(root);
    await ingest.idle();
    expect(await readdir(config.paths.inbox)).toEqual([]);
    for (const id of Object.values(ids)) expect(await workflowExists(engine.client, `${WORKER_ID}/${id}`)).toBe(true);
    // The ledger is appended as each start is acknowledged, one at a time: its order is the start order.
    const lines = (await readFile(ledgerPath(config.paths.state, WORKER_ID), 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '');
    const byTask = Object.fromEntries(Object.entries(ids).map(([handler, id]) => [id, handler]));
    const order = lines.map((line) => byTask[(JSON.parse(line) as { task_id: string }).task_id]);
    // Within a tier: the older file first.
    expect(order).toEqual([
      'update_code',
      'rollback_code',
      'restart_watcher',
      'pause_watcher',
      'verify_db',
      'diagnostics',
    ]);
  });
});

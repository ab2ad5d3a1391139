/**
 * Approval decision flags through the real ingest, the supervisor's own worker and handler workflows
 * (issue 14): `supervisor_approve_<workerId>.flag` / `supervisor_reject_<workerId>.flag` decide a pending
 * restart_watcher run; a refused or bad one is rejected like a bad flag; another worker's is left alone.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../../src/config/schema.js';
import type { ApprovalState } from '../../../src/contract/approvals.js';
import { approvalQuery } from '../../../src/contract/approvals.js';
import { decisionFileName, signBody } from '../../../src/flags/index.js';
import type { Ingest } from '../../../src/ingest.js';
import { startIngest } from '../../../src/ingest.js';
import { decisionReceiptPath, eventsFileOf, rejectedFolder } from '../../../src/nas/paths.js';
import { silentLogger, testConfig } from '../../helpers/config.js';
import { freePort, waitFor } from '../../helpers/process.js';
import { readResultFile } from '../../helpers/supervisor-env.js';
import type { RunningWorker } from '../../helpers/supervisor-env.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { useSupervisorEnv } from '../../helpers/use-supervisor-env.js';
import { listWaiting } from '../../../src/ingest/scan.js';
import { utimes } from 'node:fs/promises';
import { killSeen, watcherPid } from '../handlers/support.js';
import { dropFlag, exists, waitForJson } from './harness.js';

const KEY = 'k'.repeat(32);

describe('approval flags', () => {
  const env = useSupervisorEnv();
  let temp: TempDir | undefined;
  let worker: RunningWorker | undefined;
  let ingest: Ingest | undefined;
  let n = 0;

  afterEach(async () => {
    await ingest?.stop();
    await worker?.stop();
    killSeen();
    await temp?.cleanup();
    ingest = undefined;
    worker = undefined;
  });

  async function setUp(security: Record<string, unknown> = {}): Promise<Config> {
    temp = await makeTempDir('ts-approval-flags-');
    const config = env.config(temp.path, {
      extra: {
        approvals: { handlers: { restart_watcher: { expires: '10m' } }, deciders: ['alice', 'bob'] },
        security,
      },
    });
    worker = await env.startWorker(config);
    ingest = await startIngest({ config, logger: silentLogger, client: env.client });
    return config;
  }

  /** A restart_watcher run requested by carol, once it waits for its approval. */
  async function pending(config: Config): Promise<{ taskId: string; handle: WorkflowHandle }> {
    const taskId = `restart_${++n}`;
    const handle = await env.start(config, { task_id: taskId, handler: 'restart_watcher', requested_by: 'carol' });
    await waitFor('the approval request', async () => {
      const state = await handle.query(approvalQuery).catch(() => null);
      return state?.status === 'pending';
    });
    return { taskId, handle };
  }

  const inboxNames = async (config: Config) => await readdir(config.paths.inbox);
  /** The receipt or the error file is written before the flag leaves the inbox. */
  const gone = (config: Config, name: string) =>
    waitFor(`${name} to leave the inbox`, async () => !(await inboxNames(config)).includes(name));

  async function rejection(config: Config, name: string): Promise<{ problems: { path: string; message: string }[] }> {
    return await waitForJson(path.join(rejectedFolder(config.paths.outbox), `${name}.error.json`));
  }

  it('an approve flag runs the task: receipt, flag gone, result success, event', async () => {
    const config = await setUp();
    const { taskId, handle } = await pending(config);
    const name = decisionFileName('approve', config.worker_id);
    await dropFlag(config.paths.inbox, name, { task_id: taskId, requested_by: 'alice', comment: 'go' });
    const receipt = await waitForJson(decisionReceiptPath(config.paths.outbox, config.worker_id, taskId, 'approve'));
    expect(receipt).toMatchObject({ task_id: taskId, decision: 'approved', by: 'alice', comment: 'go', via: 'flag' });
    expect(receipt.saw).toMatchObject({ summary: expect.stringContaining('watcher') });
    await gone(config, name);
    await handle.result();
    const result = await readResultFile(config, taskId);
    expect(result.success).toBe(true);
    expect(await waitFor('the watcher', () => watcherPid(config))).toBeGreaterThan(0);
    const events = (await readFile(eventsFileOf(config.paths), 'utf8')).trim().split('\n');
    expect(events.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ type: 'flag_decided', task_id: taskId, decision: 'approved', by: 'alice' }),
    );
  });

  it('a reject flag ends the task rejected; a decision on the ended task is rejected naming why, bytes kept', async () => {
    const config = await setUp();
    const { taskId, handle } = await pending(config);
    await dropFlag(config.paths.inbox, decisionFileName('reject', config.worker_id), {
      task_id: taskId,
      requested_by: 'bob',
      comment: 'not now',
    });
    const receipt = await waitForJson(decisionReceiptPath(config.paths.outbox, config.worker_id, taskId, 'reject'));
    expect(receipt).toMatchObject({ decision: 'rejected', by: 'bob' });
    await handle.result();
    const result = await readResultFile(config, taskId);
    expect(result.success).toBe(false);
    const approval = (result.details as { approval: ApprovalState; executed: boolean }).approval;
    expect(approval).toMatchObject({ status: 'rejected', decision: { by: 'bob', comment: 'not now', via: 'flag' } });
    expect(await watcherPid(config)).toBeUndefined();

    const name = decisionFileName('approve', config.worker_id);
    const text = JSON.stringify({ task_id: taskId, requested_by: 'alice' });
    await dropFlag(config.paths.inbox, name, text);
    const record = await rejection(config, name);
    expect(record.problems).toEqual([
      {
        path: '(decision)',
        message: expect.stringMatching(
          new RegExp(
            `^task ${taskId} on ${config.worker_id} already ended \\(completed\\): it was rejected by bob at `,
          ),
        ),
      },
    ]);
    expect(await readFile(path.join(rejectedFolder(config.paths.outbox), name), 'utf8')).toBe(text);
    await gone(config, name);
  });

  it('a decision the workflow refuses (not a decider) is rejected and the task still waits', async () => {
    const config = await setUp();
    const { handle, taskId } = await pending(config);
    const name = decisionFileName('approve', config.worker_id);
    await dropFlag(config.paths.inbox, name, { task_id: taskId, requested_by: 'mallory' });
    const record = await rejection(config, name);
    expect(record.problems[0]?.message).toMatch(/mallory may not decide/);
    expect((await handle.query(approvalQuery))?.status).toBe('pending');
    await handle.terminate('test over');
  });

  it('a bad body, and an unsigned flag where signatures are required, are rejected with every problem', async () => {
    const config = await setUp({ require_signature: true, hmac_key: KEY });
    const { handle, taskId } = await pending(config);
    const name = decisionFileName('approve', config.worker_id);
    await dropFlag(config.paths.inbox, name, { task_id: taskId, requested_by: 'alice', handler: 'restart_watcher' });
    const record = await rejection(config, name);
    expect(record.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^handler: unknown key/),
        'signature: is required: security.require_signature is on',
      ]),
    );
    expect((await handle.query(approvalQuery))?.status).toBe('pending');
    // Signed with the key, the same decision goes through.
    const body = { task_id: taskId, requested_by: 'alice' };
    await dropFlag(config.paths.inbox, name, { ...body, signature: signBody(body, KEY) });
    const receipt = await waitForJson(decisionReceiptPath(config.paths.outbox, config.worker_id, taskId, 'approve'));
    expect(receipt).toMatchObject({ decision: 'approved', by: 'alice' });
    await handle.result();
  });

  it("another worker's approval flag is left in the inbox", async () => {
    const config = await setUp();
    const name = decisionFileName('approve', 'OtherHost');
    await dropFlag(config.paths.inbox, name, { task_id: 'x_1', requested_by: 'alice' });
    await ingest?.idle();
    await ingest?.idle();
    expect(await inboxNames(config)).toContain(name);
    expect(await exists(path.join(rejectedFolder(config.paths.outbox), `${name}.error.json`))).toBe(false);
  });

  it("comes before the worker's handler flags, whatever their age", async () => {
    temp = await makeTempDir('ts-approval-order-');
    const inbox = path.join(temp.path, 'inbox');
    const older = await dropFlag(inbox, 'supervisor_update_code_W1.flag', { task_id: 'u_1', handler: 'update_code' });
    await utimes(older, new Date(1_000_000), new Date(1_000_000));
    await dropFlag(inbox, decisionFileName('reject', 'W1'), { task_id: 'x_1', requested_by: 'bob' });
    await dropFlag(inbox, decisionFileName('approve', 'W2'), { task_id: 'x_2', requested_by: 'bob' });
    const listing = await listWaiting(inbox, { served: ['W1'], pollInterval: 100 });
    expect(listing.flags.map((flag) => flag.name)).toEqual([
      'supervisor_reject_W1.flag',
      'supervisor_update_code_W1.flag',
    ]);
    expect(listing.foreign).toEqual(['supervisor_approve_W2.flag']);
  });

  it('stays in the inbox while Temporal is unreachable, neither decided nor rejected', async () => {
    temp = await makeTempDir('ts-approval-down-');
    const config = testConfig(temp.path);
    const connection = Connection.lazy({
      address: `127.0.0.1:${String(await freePort())}`,
      channelArgs: { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 1_000 },
    });
    ingest = await startIngest({
      config,
      logger: silentLogger,
      client: new Client({ connection, namespace: 'default' }),
    });
    const name = decisionFileName('approve', config.worker_id);
    await dropFlag(config.paths.inbox, name, { task_id: 'down_1', requested_by: 'alice' });
    await waitFor('failing state', () => ingest?.status().temporal === 'failing', 30_000);
    expect(await inboxNames(config)).toEqual([name]);
    expect(await exists(path.join(rejectedFolder(config.paths.outbox), `${name}.error.json`))).toBe(false);
    await ingest.stop();
    await connection.close();
  });
});

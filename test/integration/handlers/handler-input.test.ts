/**
 * Issue 11: a handler started straight through Temporal (no ingest) validates its input and its
 * workflow id before any side effect; a refused start fails with every problem named and leaves
 * nothing behind: no watcher stop, no result file, no audit row.
 */
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { taskQueueOf } from '../../../src/config/schema.js';
import type { HandlerResult } from '../../../src/contract/handlers.js';
import { readResultFile } from '../../helpers/supervisor-env.js';
import { useCodeEnv } from './code-env.js';
import { ndjsonAudit, watcherPid } from './support.js';

describe('handler workflows started raw validate their input first', () => {
  const code = useCodeEnv();

  const startRaw = (type: string, args: unknown[], workflowId?: string) =>
    code.env().client.workflow.start(type, {
      workflowId: workflowId ?? `${code.config().worker_id}/${code.task('raw')}`,
      taskQueue: taskQueueOf(code.config()),
      args,
    });

  async function expectRefused(type: string, args: unknown[], problems: RegExp[], workflowId?: string): Promise<void> {
    const handle = await startRaw(type, args, workflowId);
    const error = await handle.result().then(
      () => undefined,
      (caught: unknown) => caught as { cause?: { type?: string; message?: string; nonRetryable?: boolean } },
    );
    expect(error?.cause).toMatchObject({ type: 'InvalidHandlerInput', nonRetryable: true });
    for (const problem of problems) expect(error?.cause?.message).toMatch(problem);
  }

  async function expectNothingTouched(pid: number): Promise<void> {
    expect(await watcherPid(code.config())).toBe(pid);
    expect(await readdir(code.config().paths.outbox)).toEqual([]);
    expect(await ndjsonAudit(code.config())).toEqual([]);
  }

  it('refuses {} and no input at all, writing no undefined.result.json', async () => {
    const pid = await code.setUp();
    await expectRefused('update_code', [{}], [/invalid input for update_code, nothing was done: task_id: is required/]);
    await expectRefused('restart_watcher', [], [/\(root\): must be a JSON object/]);
    await expectNothingTouched(pid);
  });

  it('refuses a task id with spaces and "/.." before the watcher is restarted, naming every problem', async () => {
    const pid = await code.setUp();
    await expectRefused(
      'restart_watcher',
      [{ task_id: 'bad id/..', label: 'a;b', colour: 'red' }],
      [/task_id: must be 1-64 characters/, /label: may contain only/, /colour: unknown key/],
    );
    await expectRefused(
      'rollback_code',
      [{ task_id: 'ok', params: { commits_back: 0 } }],
      [/params\.commits_back: must be an integer from 1 to 10, got 0/],
    );
    await expectNothingTouched(pid);
  });

  it('refuses an input naming another handler, and a workflow id other than <workerId>/<task_id>', async () => {
    const pid = await code.setUp();
    await expectRefused(
      'restart_watcher',
      [{ task_id: 'mismatch', handler: 'update_code' }],
      [/handler: is "update_code" but this workflow is restart_watcher/],
    );
    await expectRefused(
      'restart_watcher',
      [{ task_id: 'elsewhere' }],
      [/\(workflow id\): is "other\/elsewhere"/, new RegExp(`must run as "${code.config().worker_id}/elsewhere"`)],
      'other/elsewhere',
    );
    await expectNothingTouched(pid);
  });

  it('takes the handler from the workflow type when the input has none, and accepts a signature without requiring one', async () => {
    const pid = await code.setUp();
    const taskId = 'no_handler_key';
    const handle = await startRaw(
      'restart_watcher',
      [{ task_id: taskId, requested_by: 'ops', signature: 'ab'.repeat(32) }],
      `${code.config().worker_id}/${taskId}`,
    );
    const result = (await handle.result()) as HandlerResult;
    expect(result.success).toBe(true);
    expect(await watcherPid(code.config())).not.toBe(pid);
    expect(await readResultFile(code.config(), taskId)).toMatchObject({
      task_id: taskId,
      handler: 'restart_watcher',
      success: true,
    });
    expect((await ndjsonAudit(code.config())).filter((row) => row.task_id === taskId)).toEqual([
      expect.objectContaining({ handler: 'restart_watcher', action: 'completed' }),
    ]);
  });
});

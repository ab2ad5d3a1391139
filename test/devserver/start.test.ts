import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import type { WorkflowHandleWithFirstExecutionRunId as Handle } from '@temporalio/client';
import { google, temporal } from '@temporalio/proto';
import { eventTypes, useHarness } from './helpers.js';

const h = useHarness();

const ALREADY_EXISTS = 6;

async function startBlocking(workflowId: string, taskQueue: string, extra: object = {}): Promise<Handle> {
  const handle = await h.client.workflow.start('blockForever', { taskQueue, workflowId, ...extra });
  h.track(handle);
  return handle;
}

async function runToCompletion(workflowId: string, taskQueue: string): Promise<Handle> {
  const handle = await h.client.workflow.start('echo', { taskQueue, workflowId, args: ['done'] });
  h.track(handle);
  await handle.result();
  return handle;
}

async function runToFailure(workflowId: string, taskQueue: string): Promise<Handle> {
  const handle = await h.client.workflow.start('failWith', { taskQueue, workflowId, args: ['no', 'Boom', true] });
  h.track(handle);
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  return handle;
}

function rawStart(workflowId: string, taskQueue: string, requestId: string, extra: object = {}) {
  return h.client.workflowService.startWorkflowExecution({
    namespace: h.namespace,
    workflowId,
    workflowType: { name: 'blockForever' },
    taskQueue: { name: taskQueue },
    requestId,
    identity: 'conformance',
    ...extra,
  });
}

describe('start: idempotency and ALREADY_EXISTS', () => {
  it('returns the same run for a repeated request id, and writes one start event', async () => {
    const workflowId = h.workflowId('idem');
    const taskQueue = h.taskQueue('idem');
    const requestId = randomUUID();
    const first = await rawStart(workflowId, taskQueue, requestId);
    const second = await rawStart(workflowId, taskQueue, requestId);
    h.track({ workflowId, runId: first.runId });
    expect(first.runId).toBeTruthy();
    expect(second.runId).toBe(first.runId);
    const history = await h.history(workflowId, first.runId);
    expect(eventTypes(history).filter((t) => t === 'WORKFLOW_EXECUTION_STARTED')).toHaveLength(1);
    await h.client.workflow.getHandle(workflowId).terminate('cleanup');
  });

  it('rejects a second start of a running id with ALREADY_EXISTS and WorkflowExecutionAlreadyStartedFailure', async () => {
    const workflowId = h.workflowId('dup');
    const taskQueue = h.taskQueue('dup');
    const running = await startBlocking(workflowId, taskQueue);

    const err = await h.client.workflow.start('blockForever', { taskQueue, workflowId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(err).toMatchObject({ workflowId, workflowType: 'blockForever' });

    const requestId = randomUUID();
    const raw = await rawStart(workflowId, taskQueue, requestId).catch(
      (e: unknown) => e as { code: number; metadata: { get(k: string): unknown[] } },
    );
    expect(raw).toMatchObject({ code: ALREADY_EXISTS });
    const bin = (raw as { metadata: { get(k: string): unknown[] } }).metadata.get('grpc-status-details-bin')[0];
    expect(bin).toBeInstanceOf(Buffer);
    const details = google.rpc.Status.decode(bin as Buffer).details;
    const entry = details.find((d) =>
      d.type_url?.endsWith('temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure'),
    );
    expect(entry).toBeDefined();
    const failure = temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure.decode(
      entry?.value ?? new Uint8Array(),
    );
    expect(failure.runId).toBe(running.firstExecutionRunId);
    expect(failure.startRequestId).toBeTruthy();
    expect(failure.startRequestId).not.toBe(requestId);
    await running.terminate('cleanup');
  });
});

describe('start: workflow id reuse policies (previous run closed)', () => {
  it('ALLOW_DUPLICATE starts a new run after a completed one', async () => {
    const workflowId = h.workflowId('allow');
    const taskQueue = h.taskQueue('allow');
    await h.withWorker({ taskQueue }, async () => {
      const first = await runToCompletion(workflowId, taskQueue);
      const second = await h.client.workflow.start('echo', {
        taskQueue,
        workflowId,
        args: ['again'],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      h.track(second);
      expect(second.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
      expect(await second.result()).toBe('again');
    });
  });

  it('ALLOW_DUPLICATE_FAILED_ONLY rejects after success and allows after failure', async () => {
    const taskQueue = h.taskQueue('failed-only');
    await h.withWorker({ taskQueue }, async () => {
      const succeeded = h.workflowId('failed-only-ok');
      await runToCompletion(succeeded, taskQueue);
      await expect(
        h.client.workflow.start('echo', {
          taskQueue,
          workflowId: succeeded,
          args: [1],
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        }),
      ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);

      const failed = h.workflowId('failed-only-failed');
      await runToFailure(failed, taskQueue);
      const retry = await h.client.workflow.start('echo', {
        taskQueue,
        workflowId: failed,
        args: ['second chance'],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
      h.track(retry);
      expect(await retry.result()).toBe('second chance');
    });
  });

  it('REJECT_DUPLICATE rejects even after a failed run', async () => {
    const taskQueue = h.taskQueue('reject');
    const workflowId = h.workflowId('reject');
    await h.withWorker({ taskQueue }, async () => {
      await runToFailure(workflowId, taskQueue);
      await expect(
        h.client.workflow.start('echo', {
          taskQueue,
          workflowId,
          args: [1],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
      ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    });
  });

  it('TERMINATE_IF_RUNNING terminates the running run and starts a new one', async () => {
    const taskQueue = h.taskQueue('tir');
    const workflowId = h.workflowId('tir');
    const old = await startBlocking(workflowId, taskQueue);
    const fresh = await startBlocking(workflowId, taskQueue, { workflowIdReusePolicy: 'TERMINATE_IF_RUNNING' });
    expect(fresh.firstExecutionRunId).not.toBe(old.firstExecutionRunId);
    // A start handle has no runId, so describe() would describe the current (fresh) run: name the old one.
    const oldRun = h.client.workflow.getHandle(workflowId, old.firstExecutionRunId);
    expect((await oldRun.describe()).status.name).toBe('TERMINATED');
    expect(eventTypes(await oldRun.fetchHistory()).at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
    expect((await fresh.describe()).status.name).toBe('RUNNING');
    await fresh.terminate('cleanup');
  });
});

describe('start: workflow id conflict policies (previous run running)', () => {
  it('FAIL rejects', async () => {
    const taskQueue = h.taskQueue('fail');
    const workflowId = h.workflowId('fail');
    const running = await startBlocking(workflowId, taskQueue);
    await expect(
      h.client.workflow.start('blockForever', { taskQueue, workflowId, workflowIdConflictPolicy: 'FAIL' }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await running.terminate('cleanup');
  });

  it('USE_EXISTING returns the running run without starting another', async () => {
    const taskQueue = h.taskQueue('use-existing');
    const workflowId = h.workflowId('use-existing');
    const running = await startBlocking(workflowId, taskQueue);
    const raw = await rawStart(workflowId, taskQueue, randomUUID(), {
      workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
    });
    expect(raw.runId).toBe(running.firstExecutionRunId);
    expect(raw.started).toBe(false);
    const again = await h.client.workflow.start('blockForever', {
      taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    expect(again.firstExecutionRunId).toBe(running.firstExecutionRunId);
    await running.terminate('cleanup');
  });

  it('TERMINATE_EXISTING terminates the running run and starts a new one', async () => {
    const taskQueue = h.taskQueue('term-existing');
    const workflowId = h.workflowId('term-existing');
    const old = await startBlocking(workflowId, taskQueue);
    const fresh = await startBlocking(workflowId, taskQueue, { workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
    expect(fresh.firstExecutionRunId).not.toBe(old.firstExecutionRunId);
    const oldHistory = await h.history(workflowId, old.firstExecutionRunId);
    expect(eventTypes(oldHistory).at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
    expect((await fresh.describe()).status.name).toBe('RUNNING');
    await fresh.terminate('cleanup');
  });
});

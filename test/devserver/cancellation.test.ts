import { describe, expect, it } from '@jest/globals';
import { CancelledFailure, TerminatedFailure, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { eventsOfType, eventTypes, useHarness, waitForEvent } from './helpers.js';

const h = useHarness();

describe('workflow cancellation', () => {
  it('cancels a workflow that lets the CancelledFailure propagate', async () => {
    const taskQueue = h.taskQueue('cancel');
    const workflowId = h.workflowId('cancel');
    const outcome = await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('cancellable', { taskQueue, workflowId, args: [false] });
      h.track(handle);
      await waitForEvent(h, workflowId, 'WORKFLOW_TASK_COMPLETED');
      await handle.cancel();
      return await handle.result().catch((e: unknown) => e);
    });
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    expect((outcome as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const handle = h.client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const types = eventTypes(await handle.fetchHistory());
    expect(types).toContain('WORKFLOW_EXECUTION_CANCEL_REQUESTED');
    expect(types.at(-1)).toBe('WORKFLOW_EXECUTION_CANCELED');
  });

  it('lets a workflow clean up after a cancel request and complete normally', async () => {
    const taskQueue = h.taskQueue('cleanup');
    const workflowId = h.workflowId('cleanup');
    const result = await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('cancellable', { taskQueue, workflowId, args: [true] });
      h.track(handle);
      await waitForEvent(h, workflowId, 'WORKFLOW_TASK_COMPLETED');
      await handle.cancel();
      return await handle.result();
    });
    expect(result).toBe('cleaned up');
    const history = await h.history(workflowId);
    expect(eventTypes(history)).toContain('WORKFLOW_EXECUTION_CANCEL_REQUESTED');
    expect(eventTypes(history).at(-1)).toBe('WORKFLOW_EXECUTION_COMPLETED');
    expect((await h.client.workflow.getHandle(workflowId).describe()).status.name).toBe('COMPLETED');
  });

  it('records a cancel request made before any worker ran the workflow', async () => {
    const taskQueue = h.taskQueue('early-cancel');
    const workflowId = h.workflowId('early-cancel');
    const handle = await h.client.workflow.start('cancellable', { taskQueue, workflowId, args: [false] });
    h.track(handle);
    await handle.cancel();
    const outcome = await h.withWorker({ taskQueue }, () => handle.result().catch((e: unknown) => e));
    expect((outcome as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  });

  it('accepts cancelling a closed workflow as a no-op (the server answers OK, no event is written)', async () => {
    const taskQueue = h.taskQueue('cancel-closed');
    const handle = await h.withWorker({ taskQueue }, async () => {
      const started = await h.client.workflow.start('echo', {
        taskQueue,
        workflowId: h.workflowId('cancel-closed'),
        args: [1],
      });
      h.track(started);
      await started.result();
      return started;
    });
    const before = eventTypes(await handle.fetchHistory());
    await handle.cancel();
    expect(eventTypes(await handle.fetchHistory())).toEqual(before);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    await expect(h.client.workflow.getHandle('no-such-workflow').cancel()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });
});

describe('workflow termination', () => {
  it('terminates a running workflow with reason and details, no worker involved', async () => {
    const taskQueue = h.taskQueue('terminate');
    const workflowId = h.workflowId('terminate');
    const handle = await h.client.workflow.start('blockForever', { taskQueue, workflowId });
    h.track(handle);
    await handle.terminate('operator said so');
    const outcome = await handle.result().catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    expect((outcome as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    expect((outcome as WorkflowFailedError).message).toBe('operator said so');
    const described = await handle.describe();
    expect(described.status.name).toBe('TERMINATED');
    expect(described.closeTime).toBeInstanceOf(Date);
    const terminated = eventsOfType(await handle.fetchHistory(), 'WORKFLOW_EXECUTION_TERMINATED')[0];
    expect(terminated?.workflowExecutionTerminatedEventAttributes?.reason).toBe('operator said so');
    await expect(handle.terminate('again')).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('terminates a workflow with pending activity and timer, which then never complete', async () => {
    const taskQueue = h.taskQueue('terminate-busy');
    const workflowId = h.workflowId('terminate-busy');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('sleepThenReturn', { taskQueue, workflowId, args: [1000, 'never'] });
      h.track(handle);
      await waitForEvent(h, workflowId, 'TIMER_STARTED');
      await handle.terminate('stop timer');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const types = eventTypes(await handle.fetchHistory());
      expect(types.at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
      expect(types).not.toContain('TIMER_FIRED');
    });
  });
});

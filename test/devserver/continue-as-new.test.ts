import { describe, expect, it } from '@jest/globals';
import { WorkflowContinuedAsNewError } from '@temporalio/client';
import { eventsOfType, eventTypes, useHarness } from './helpers.js';

const h = useHarness();

describe('continue-as-new', () => {
  it('chains runs; result() follows the chain to the last run', async () => {
    const taskQueue = h.taskQueue('can');
    const workflowId = h.workflowId('can');
    const { handle, result } = await h.withWorker({ taskQueue }, async () => {
      const started = await h.client.workflow.start('countdown', { taskQueue, workflowId, args: [3] });
      h.track(started);
      return { handle: started, result: await started.result() };
    });
    expect(result.seen).toBe(4);
    expect(result.lastRunId).not.toBe(handle.firstExecutionRunId);

    const described = await h.client.workflow.getHandle(workflowId).describe();
    expect(described.runId).toBe(result.lastRunId);
    expect(described.status.name).toBe('COMPLETED');

    const first = await h.history(workflowId, handle.firstExecutionRunId);
    expect(eventTypes(first).at(-1)).toBe('WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    const next = eventsOfType(first, 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW')[0]
      ?.workflowExecutionContinuedAsNewEventAttributes;
    expect(next?.newExecutionRunId).toBeTruthy();
    expect(next?.workflowType?.name).toBe('countdown');
    expect(next?.taskQueue?.name).toBe(taskQueue);

    const second = await h.history(workflowId, next?.newExecutionRunId ?? undefined);
    const started = eventsOfType(second, 'WORKFLOW_EXECUTION_STARTED')[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.continuedExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(started?.firstExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(started?.initiator).toBe(1); // CONTINUE_AS_NEW_INITIATOR_WORKFLOW
    expect((await h.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).describe()).status.name).toBe(
      'CONTINUED_AS_NEW',
    );
  });

  it('reports WorkflowContinuedAsNewError when not following runs', async () => {
    const taskQueue = h.taskQueue('can-nofollow');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('countdown', {
        taskQueue,
        workflowId: h.workflowId('can-nofollow'),
        args: [1],
      });
      h.track(handle);
      await handle.result();
      const err = await h.client.workflow
        .getHandle(handle.workflowId, handle.firstExecutionRunId, { followRuns: false })
        .result()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowContinuedAsNewError);
    });
  });

  it('passes the first run id and the previous run id to the new run', async () => {
    const taskQueue = h.taskQueue('can-info');
    const workflowId = h.workflowId('can-info');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('countdown', { taskQueue, workflowId, args: [2] });
      h.track(handle);
      const result = await handle.result();
      const last = await h.history(workflowId, result.lastRunId);
      const started = eventsOfType(last, 'WORKFLOW_EXECUTION_STARTED')[0]?.workflowExecutionStartedEventAttributes;
      expect(started?.firstExecutionRunId).toBe(handle.firstExecutionRunId);
      expect(started?.continuedExecutionRunId).not.toBe(handle.firstExecutionRunId);
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { Client, QueryNotRegisteredError, QueryRejectedError, WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { useHarness, waitForEvent } from './helpers.js';

const h = useHarness();

describe('queries', () => {
  it('answers queries of a running workflow, with arguments, reflecting signals', async () => {
    const taskQueue = h.taskQueue('running');
    const workflowId = h.workflowId('running');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('waitForFinish', { taskQueue, workflowId });
      h.track(handle);
      expect(await handle.query('state')).toEqual({ pokes: [], phase: 'waiting' });
      await handle.signal('poke', 'p1');
      expect(await handle.query('state')).toEqual({ pokes: ['p1'], phase: 'waiting' });
      expect(await handle.query('echo', 'hi')).toBe('echo:hi');
      await handle.signal('finish', 'f');
      await handle.result();
    });
  });

  it('answers a query of a closed run from its history', async () => {
    const taskQueue = h.taskQueue('closed');
    const workflowId = h.workflowId('closed');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('waitForFinish', { taskQueue, workflowId });
      h.track(handle);
      await handle.signal('poke', 'kept');
      await handle.signal('finish', 'f');
      await handle.result();
    });
    // A fresh worker has no cache: it must rebuild the closed run from the history in the query task.
    await h.withWorker({ taskQueue }, async () => {
      const handle = h.client.workflow.getHandle(workflowId);
      expect(await handle.query('state')).toEqual({ pokes: ['kept'], phase: 'finished' });
    });
  });

  it('fails an unknown query type with the worker error message', async () => {
    const taskQueue = h.taskQueue('unknown');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('waitForFinish', { taskQueue, workflowId: h.workflowId('unknown') });
      h.track(handle);
      await waitForEvent(h, handle.workflowId, 'WORKFLOW_TASK_COMPLETED');
      const err = await handle.query('nope').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueryNotRegisteredError);
      expect((err as Error).message).toMatch(/nope/);
      await handle.signal('finish', 'f');
      await handle.result();
    });
  });

  it('rejects a query of a closed run when queryRejectCondition is NOT_OPEN', async () => {
    const taskQueue = h.taskQueue('reject');
    const workflowId = h.workflowId('reject');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('echo', { taskQueue, workflowId, args: [1] });
      h.track(handle);
      await handle.result();
    });
    const strict = new Client({
      connection: h.env.connection,
      namespace: h.namespace,
      workflow: { queryRejectCondition: 'NOT_OPEN' },
    });
    const err = await strict.workflow
      .getHandle(workflowId)
      .query('state')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryRejectedError);
    expect((err as QueryRejectedError).status).toBe(
      temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    );
  });

  it('rejects a query of an unknown workflow with NOT_FOUND', async () => {
    await expect(h.client.workflow.getHandle(h.workflowId('ghost')).query('state')).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });
});

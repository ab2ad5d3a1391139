import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { eventsOfType, useHarness, waitForEvent } from './helpers.js';

const h = useHarness();

describe('signals', () => {
  it('delivers signals in order with their payloads', async () => {
    const taskQueue = h.taskQueue('order');
    const result = await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('collectPokes', {
        taskQueue,
        workflowId: h.workflowId('order'),
        args: [3],
      });
      h.track(handle);
      for (const p of ['one', 'two', 'three']) await handle.signal('poke', p);
      return await handle.result();
    });
    expect(result).toEqual(['one', 'two', 'three']);
  });

  it('writes one event for signals repeated with the same request id', async () => {
    const taskQueue = h.taskQueue('dedupe');
    const workflowId = h.workflowId('dedupe');
    const handle = await h.client.workflow.start('collectPokes', { taskQueue, workflowId, args: [2] });
    h.track(handle);
    const requestId = randomUUID();
    const send = (value: string, id: string) =>
      h.client.workflowService.signalWorkflowExecution({
        namespace: h.namespace,
        workflowExecution: { workflowId },
        signalName: 'poke',
        input: { payloads: [defaultPayloadConverter.toPayload(value)] },
        identity: 'conformance',
        requestId: id,
      });
    await send('first', requestId);
    await send('first again', requestId);
    await send('second', randomUUID());
    const signaled = eventsOfType(await handle.fetchHistory(), 'WORKFLOW_EXECUTION_SIGNALED');
    expect(signaled).toHaveLength(2);
    expect(await h.withWorker({ taskQueue }, () => handle.result())).toEqual(['first', 'second']);
  });

  it('records the signal name, input and identity', async () => {
    const taskQueue = h.taskQueue('attrs');
    const workflowId = h.workflowId('attrs');
    const handle = await h.client.workflow.start('collectPokes', { taskQueue, workflowId, args: [1] });
    h.track(handle);
    await handle.signal('poke', 'payload');
    const event = await waitForEvent(h, workflowId, 'WORKFLOW_EXECUTION_SIGNALED');
    const attrs = event.workflowExecutionSignaledEventAttributes;
    expect(attrs?.signalName).toBe('poke');
    expect(defaultPayloadConverter.fromPayload(attrs?.input?.payloads?.[0] ?? {})).toBe('payload');
    expect(attrs?.identity).toBeTruthy();
    expect(await h.withWorker({ taskQueue }, () => handle.result())).toEqual(['payload']);
  });

  it('rejects signals to unknown and to closed workflows with NOT_FOUND', async () => {
    await expect(h.client.workflow.getHandle(h.workflowId('missing')).signal('poke', 'x')).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    const taskQueue = h.taskQueue('closed');
    const handle = await h.withWorker({ taskQueue }, async () => {
      const started = await h.client.workflow.start('echo', {
        taskQueue,
        workflowId: h.workflowId('closed'),
        args: [1],
      });
      h.track(started);
      await started.result();
      return started;
    });
    await expect(handle.signal('poke', 'too late')).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});

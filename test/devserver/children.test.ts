import { describe, expect, it } from '@jest/globals';
import { eventsOfType, eventTypes, useHarness, waitForEvent } from './helpers.js';
import { waitFor } from '../helpers/process.js';

const h = useHarness();

describe('child workflows', () => {
  it('runs a child to completion and links parent and child', async () => {
    const taskQueue = h.taskQueue('child');
    const parentId = h.workflowId('parent');
    const childId = `${parentId}/child`;
    const result = await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('parentRunsChild', {
        taskQueue,
        workflowId: parentId,
        args: ['echo', ['from child'], childId],
      });
      h.track(handle);
      return await handle.result();
    });
    expect(result).toEqual({ result: 'from child' });
    const parentHistory = await h.history(parentId);
    expect(eventTypes(parentHistory)).toEqual(
      expect.arrayContaining([
        'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
        'CHILD_WORKFLOW_EXECUTION_STARTED',
        'CHILD_WORKFLOW_EXECUTION_COMPLETED',
      ]),
    );
    const childStarted = eventsOfType(await h.history(childId), 'WORKFLOW_EXECUTION_STARTED')[0]
      ?.workflowExecutionStartedEventAttributes;
    expect(childStarted?.parentWorkflowExecution?.workflowId).toBe(parentId);
    expect(childStarted?.taskQueue?.name).toBe(taskQueue);
  });

  it('reports a child failure to the parent as ChildWorkflowFailure with the cause', async () => {
    const taskQueue = h.taskQueue('child-fail');
    const parentId = h.workflowId('parent-fail');
    const result = await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('parentRunsChild', {
        taskQueue,
        workflowId: parentId,
        args: ['failWith', ['child broke', 'ChildError', true], `${parentId}/child`],
      });
      h.track(handle);
      return await handle.result();
    });
    expect(result).toMatchObject({
      name: 'ChildWorkflowFailure',
      causeName: 'ApplicationFailure',
      causeMessage: 'child broke',
      causeType: 'ChildError',
    });
    expect(eventTypes(await h.history(parentId))).toContain('CHILD_WORKFLOW_EXECUTION_FAILED');
  });

  it.each([
    ['TERMINATE', 'TERMINATED'],
    ['REQUEST_CANCEL', 'CANCELLED'],
    ['ABANDON', 'RUNNING'],
  ] as const)('applies parent close policy %s to a running child', async (policy, childStatus) => {
    const taskQueue = h.taskQueue(`policy-${policy}`);
    const parentId = h.workflowId(`policy-${policy}`);
    const childId = `${parentId}/child`;
    await h.withWorker({ taskQueue }, async () => {
      const parent = await h.client.workflow.start('parentWithPolicy', {
        taskQueue,
        workflowId: parentId,
        args: [childId, policy],
      });
      h.track(parent);
      await waitForEvent(h, parentId, 'CHILD_WORKFLOW_EXECUTION_STARTED');
      const pending = (await parent.describe()).raw.pendingChildren;
      expect(pending).toHaveLength(1);
      expect(pending?.[0]).toMatchObject({ workflowId: childId, workflowTypeName: 'blockForever' });
      await parent.signal('finish', 'go');
      const childRunId = await parent.result();
      const child = h.client.workflow.getHandle(childId, childRunId);
      await waitFor(`child ${childStatus}`, async () =>
        (await child.describe()).status.name === childStatus ? true : undefined,
      );
      if (childStatus === 'RUNNING') await child.terminate('cleanup');
    });
  });
});

describe('external workflows', () => {
  it('signals another workflow by id', async () => {
    const taskQueue = h.taskQueue('ext-signal');
    const targetId = h.workflowId('ext-target');
    await h.withWorker({ taskQueue }, async () => {
      const target = await h.client.workflow.start('collectPokes', { taskQueue, workflowId: targetId, args: [1] });
      h.track(target);
      const sender = await h.client.workflow.start('signalExternal', {
        taskQueue,
        workflowId: h.workflowId('ext-sender'),
        args: [targetId, 'from outside'],
      });
      h.track(sender);
      expect(await sender.result()).toBe('sent');
      expect(await target.result()).toEqual(['from outside']);
      expect(eventTypes(await sender.fetchHistory())).toEqual(
        expect.arrayContaining([
          'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
          'EXTERNAL_WORKFLOW_EXECUTION_SIGNALED',
        ]),
      );
    });
  });

  it('fails a signal to a workflow that does not exist', async () => {
    const taskQueue = h.taskQueue('ext-missing');
    const result = await h.withWorker({ taskQueue }, async () => {
      const sender = await h.client.workflow.start('signalExternal', {
        taskQueue,
        workflowId: h.workflowId('ext-sender'),
        args: ['no-such-workflow', 'x'],
      });
      h.track(sender);
      const res = await sender.result();
      expect(eventTypes(await sender.fetchHistory())).toContain('SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED');
      return res;
    });
    expect(result).toMatchObject({ message: expect.stringMatching(/not found/) });
  });

  it('requests cancellation of another workflow by id', async () => {
    const taskQueue = h.taskQueue('ext-cancel');
    const targetId = h.workflowId('ext-cancel-target');
    await h.withWorker({ taskQueue }, async () => {
      const target = await h.client.workflow.start('cancellable', { taskQueue, workflowId: targetId, args: [true] });
      h.track(target);
      const canceller = await h.client.workflow.start('cancelExternal', {
        taskQueue,
        workflowId: h.workflowId('ext-canceller'),
        args: [targetId],
      });
      h.track(canceller);
      expect(await canceller.result()).toBe('requested');
      expect(await target.result()).toBe('cleaned up');
      expect(eventTypes(await canceller.fetchHistory())).toEqual(
        expect.arrayContaining([
          'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
          'EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED',
        ]),
      );
      const requested = eventsOfType(await target.fetchHistory(), 'WORKFLOW_EXECUTION_CANCEL_REQUESTED')[0];
      expect(requested?.workflowExecutionCancelRequestedEventAttributes?.externalWorkflowExecution?.workflowId).toBe(
        canceller.workflowId,
      );
    });
  });
});

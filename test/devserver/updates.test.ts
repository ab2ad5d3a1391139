import { describe, expect, it } from '@jest/globals';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { eventTypes, eventsOfType, useHarness } from './helpers.js';
import {
  addUpdate,
  approve,
  doneSignal,
  getLanguage,
  hangUpdate,
  setLanguage,
  totalQuery,
} from './workflows/updates.js';

const h = useHarness();

describe('workflow updates', () => {
  it('runs an update to completion and writes Accepted/Completed events', async () => {
    const taskQueue = h.taskQueue('upd');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('counter', { taskQueue, workflowId: h.workflowId('upd') });
      h.track(handle);
      expect(await handle.executeUpdate(addUpdate, { args: [2] })).toBe(2);
      expect(await handle.executeUpdate(addUpdate, { args: [3] })).toBe(5);
      await handle.signal(doneSignal);
      expect(await handle.result()).toBe(5);
      const history = await handle.fetchHistory();
      expect(eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(2);
      const completed = eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_COMPLETED');
      expect(completed).toHaveLength(2);
      expect(completed[0]?.workflowExecutionUpdateCompletedEventAttributes?.acceptedEventId).toBeTruthy();
    });
  });

  it('a validator rejection fails the update and writes no history', async () => {
    const taskQueue = h.taskQueue('reject');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('counter', { taskQueue, workflowId: h.workflowId('reject') });
      h.track(handle);
      expect(await handle.query(totalQuery)).toBe(0);
      const before = (await handle.fetchHistory()).events?.length;
      const err = await handle.executeUpdate(addUpdate, { args: [-1] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((err as WorkflowUpdateFailedError).cause?.message)).toContain('negative: -1');
      expect((await handle.fetchHistory()).events?.length).toBe(before);
      // The rejected id is free again and the workflow still takes updates.
      expect(await handle.executeUpdate(addUpdate, { args: [4] })).toBe(4);
      await handle.signal(doneSignal);
      expect(await handle.result()).toBe(4);
    });
  });

  it('waits for ACCEPTED, then polls the outcome; a repeated update id gets the same update', async () => {
    const taskQueue = h.taskQueue('stages');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('counter', { taskQueue, workflowId: h.workflowId('stages') });
      h.track(handle);
      const upd = await handle.startUpdate(addUpdate, {
        args: [7],
        updateId: 'u-1',
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      expect(await upd.result()).toBe(7);
      // Same id again: the stored outcome, not a second application.
      expect(await handle.executeUpdate(addUpdate, { args: [7], updateId: 'u-1' })).toBe(7);
      expect(await h.client.workflow.getHandle(handle.workflowId).getUpdateHandle<number>('u-1').result()).toBe(7);
      await handle.signal(doneSignal);
      expect(await handle.result()).toBe(7);
      expect(eventsOfType(await handle.fetchHistory(), 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(1);
      // Closed run: the completed update is still answered from history; a new one is refused.
      expect(await handle.executeUpdate(addUpdate, { args: [1], updateId: 'u-1' })).toBe(7);
      await expect(handle.executeUpdate(addUpdate, { args: [1] })).rejects.toBeInstanceOf(WorkflowNotFoundError);
    });
  });

  it('an update sent before any worker polls is delivered with the first task', async () => {
    const taskQueue = h.taskQueue('early');
    const handle = await h.client.workflow.start('counter', { taskQueue, workflowId: h.workflowId('early') });
    h.track(handle);
    const pending = handle.executeUpdate(addUpdate, { args: [9] });
    await new Promise((r) => setTimeout(r, 200));
    await h.withWorker({ taskQueue }, async () => {
      expect(await pending).toBe(9);
      await handle.signal(doneSignal);
      expect(await handle.result()).toBe(9);
    });
  });

  it('an accepted update fails when the workflow completes first; an admitted one on terminate', async () => {
    const taskQueue = h.taskQueue('race');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('counter', { taskQueue, workflowId: h.workflowId('race') });
      h.track(handle);
      const hanging = await handle.startUpdate(hangUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
      await handle.signal(doneSignal);
      expect(await handle.result()).toBe(0);
      const err = await hanging.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((err as WorkflowUpdateFailedError).cause?.message)).toContain(
        'completed before the Update completed',
      );
      expect(eventTypes(await handle.fetchHistory())).not.toContain('WORKFLOW_EXECUTION_UPDATE_COMPLETED');
    });
    const idle = await h.client.workflow.start('counter', {
      taskQueue: h.taskQueue('nobody'),
      workflowId: h.workflowId('term'),
    });
    const admitted = idle.executeUpdate(addUpdate, { args: [1] }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    await idle.terminate('test');
    expect(await admitted).toBeInstanceOf(WorkflowNotFoundError);
  });

  it('message-passing sample: query, update with validator, signal', async () => {
    const taskQueue = h.taskQueue('greeting');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('greetingWorkflow', {
        taskQueue,
        workflowId: h.workflowId('greeting'),
      });
      h.track(handle);
      expect(await handle.query(getLanguage)).toBe('ENGLISH');
      expect(await handle.executeUpdate(setLanguage, { args: ['CHINESE'] })).toBe('ENGLISH');
      await expect(handle.executeUpdate(setLanguage, { args: ['FRENCH'] })).rejects.toBeInstanceOf(
        WorkflowUpdateFailedError,
      );
      expect(await handle.query(getLanguage)).toBe('CHINESE');
      await handle.signal(approve, { name: 'me' });
      expect(await handle.result()).toBe('你好，世界 (approved by me)');
    });
  });

  it('queries and updates are answered while the workflow sleeps for 30 days; the timer stays pending', async () => {
    const taskQueue = h.taskQueue('long');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('longSleeper', { taskQueue, workflowId: h.workflowId('long') });
      h.track(handle);
      expect(await handle.executeUpdate(addUpdate, { args: [5] })).toBe(5);
      expect(await handle.query(totalQuery)).toBe(5);
      const history = await handle.fetchHistory();
      expect(eventsOfType(history, 'TIMER_STARTED')).toHaveLength(1);
      const timer = eventsOfType(history, 'TIMER_STARTED')[0]?.timerStartedEventAttributes;
      expect(Number(timer?.startToFireTimeout?.seconds)).toBe(30 * 24 * 3600);
      await new Promise((r) => setTimeout(r, 500));
      expect(eventTypes(await handle.fetchHistory())).not.toContain('TIMER_FIRED');
      // Describe: running, no workflow task left pending by the update (the API has no pending-timer list).
      const desc = await h.client.workflowService.describeWorkflowExecution({
        namespace: h.namespace,
        execution: { workflowId: handle.workflowId },
      });
      expect(desc.workflowExecutionInfo?.status).toBe(1);
      expect(desc.pendingWorkflowTask).toBeFalsy();
      await handle.terminate('done');
    });
  });
});

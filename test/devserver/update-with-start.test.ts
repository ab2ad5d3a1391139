import { describe, expect, it } from '@jest/globals';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { eventTypes, useHarness } from './helpers.js';
import { addUpdate, confirmTransaction, doneSignal } from './workflows/updates.js';

const h = useHarness();

describe('update-with-start (ExecuteMultiOperation)', () => {
  it('early-return sample: the caller gets the update result while the workflow goes on', async () => {
    const taskQueue = h.taskQueue('early');
    await h.withWorker({ taskQueue }, async () => {
      const startWorkflowOperation = new WithStartWorkflowOperation('transactionWorkflow', {
        workflowId: h.workflowId('tx'),
        taskQueue,
        args: [42],
        workflowIdConflictPolicy: 'FAIL',
      });
      const confirmation = await h.client.workflow.executeUpdateWithStart(confirmTransaction, {
        startWorkflowOperation,
      });
      expect(confirmation).toBe('tx-42');
      const handle = await startWorkflowOperation.workflowHandle();
      h.track(handle);
      expect(await handle.result()).toBe('settled');
      const types = eventTypes(await handle.fetchHistory());
      // The update was in the first workflow task: accepted before the workflow's first timer.
      expect(types.indexOf('WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toBeLessThan(types.indexOf('TIMER_STARTED'));
    });
  });

  it('a failing update still starts the workflow', async () => {
    const taskQueue = h.taskQueue('declined');
    await h.withWorker({ taskQueue }, async () => {
      const startWorkflowOperation = new WithStartWorkflowOperation('transactionWorkflow', {
        workflowId: h.workflowId('declined'),
        taskQueue,
        args: [0],
        workflowIdConflictPolicy: 'FAIL',
      });
      await expect(
        h.client.workflow.executeUpdateWithStart(confirmTransaction, { startWorkflowOperation }),
      ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      const handle = await startWorkflowOperation.workflowHandle();
      h.track(handle);
      expect(await handle.result()).toBe('declined');
    });
  });

  it('USE_EXISTING sends the update to the running workflow; FAIL refuses a running id', async () => {
    const taskQueue = h.taskQueue('existing');
    const workflowId = h.workflowId('existing');
    await h.withWorker({ taskQueue }, async () => {
      const op = () =>
        new WithStartWorkflowOperation('counter', { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
      const firstOp = op();
      expect(
        await h.client.workflow.executeUpdateWithStart(addUpdate, { args: [1], startWorkflowOperation: firstOp }),
      ).toBe(1);
      const secondOp = op();
      expect(
        await h.client.workflow.executeUpdateWithStart(addUpdate, { args: [2], startWorkflowOperation: secondOp }),
      ).toBe(3);
      const first = await firstOp.workflowHandle();
      expect((await (await secondOp.workflowHandle()).describe()).runId).toBe((await first.describe()).runId);
      h.track(first);
      const failOp = new WithStartWorkflowOperation('counter', {
        workflowId,
        taskQueue,
        workflowIdConflictPolicy: 'FAIL',
      });
      await expect(
        h.client.workflow.executeUpdateWithStart(addUpdate, { args: [5], startWorkflowOperation: failOp }),
      ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      await first.signal(doneSignal);
      expect(await first.result()).toBe(3);
    });
  });
});

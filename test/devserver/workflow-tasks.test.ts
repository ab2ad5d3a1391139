import { describe, expect, it } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import { eventsOfType, eventTypes, pollWorkflowTask, useHarness, waitForEvent } from './helpers.js';
import { waitFor } from '../helpers/process.js';

const { CommandType, WorkflowTaskFailedCause, TimeoutType } = temporal.api.enums.v1;
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

const h = useHarness();

async function pendingTaskAttempt(workflowId: string): Promise<number> {
  const res = await h.client.workflowService.describeWorkflowExecution({
    namespace: h.namespace,
    execution: { workflowId },
  });
  return res.pendingWorkflowTask?.attempt ?? 0;
}

describe('workflow task timeouts, failures and buffered events', () => {
  it('times out a started task after workflowTaskTimeout and rejects the stale token', async () => {
    const taskQueue = h.taskQueue('wft-timeout');
    const workflowId = h.workflowId('wft-timeout');
    h.track(await h.client.workflow.start('firstPokes', { taskQueue, workflowId, workflowTaskTimeout: '1s' }));
    const task = await pollWorkflowTask(h, taskQueue);
    const timedOut = await waitForEvent(h, workflowId, 'WORKFLOW_TASK_TIMED_OUT');
    expect(timedOut.workflowTaskTimedOutEventAttributes?.timeoutType).toBe(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
    await expect(
      h.client.workflowService.respondWorkflowTaskCompleted({
        namespace: h.namespace,
        taskToken: task.taskToken,
        identity: 'raw-poller',
        commands: [],
      }),
    ).rejects.toMatchObject({ code: NOT_FOUND });
    expect(await pendingTaskAttempt(workflowId)).toBe(2);
    const handle = h.client.workflow.getHandle(workflowId);
    await handle.signal('poke', 'after timeout');
    expect(await h.withWorker({ taskQueue }, () => handle.result())).toEqual(['after timeout']);
  });

  // A failure on the sticky queue first moves the task to the normal queue without counting an attempt
  // (workflow_task_state_machine.go failWorkflowTask), so a cached run records one more failed event.
  it.each([
    ['non-sticky', 0, 1],
    ['sticky', 100, 2],
  ] as const)(
    'retries a failing workflow task (%s), counting attempts without writing each one to history',
    async (label, maxCachedWorkflows, failedEvents) => {
      const taskQueue = h.taskQueue(`wft-fail-${label}`);
      const workflowId = h.workflowId(`wft-fail-${label}`);
      await h.withWorker({ taskQueue, maxCachedWorkflows }, async () => {
        const handle = await h.client.workflow.start('failTaskUntilSecondPoke', {
          taskQueue,
          workflowId,
          workflowTaskTimeout: '1s',
        });
        h.track(handle);
        await waitForEvent(h, workflowId, 'WORKFLOW_TASK_COMPLETED');
        await handle.signal('poke', 'a');
        // Attempt 1 is reported failed; the SDK stays silent on later attempts, which then time out.
        await waitFor(
          'workflow task attempt 3',
          async () => ((await pendingTaskAttempt(workflowId)) >= 3 ? true : undefined),
          15_000,
        );
        await handle.signal('poke', 'b');
        expect(await handle.result()).toEqual(['a', 'b']);
      });
      const history = await h.history(workflowId);
      const failed = eventsOfType(history, 'WORKFLOW_TASK_FAILED');
      expect(failed).toHaveLength(failedEvents);
      expect(failed[0]?.workflowTaskFailedEventAttributes?.cause).toBe(
        WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
      );
      expect(failed[0]?.workflowTaskFailedEventAttributes?.failure?.message).toBe('task failure until second poke');
      // Transient attempts (2, 3, ...) leave no WorkflowTaskTimedOut/Failed events, as on the real server. (The
      // first task may time out on a busy machine, 1 s being short: that one is before the failure.)
      const failedAt = Number(failed.at(-1)?.eventId);
      const timedOut = eventsOfType(history, 'WORKFLOW_TASK_TIMED_OUT').map((e) => Number(e.eventId));
      expect(timedOut.filter((id) => id > failedAt)).toEqual([]);
    },
  );

  it('rejects a completion while new events wait, with UnhandledCommand, and hands them over in a new task', async () => {
    const taskQueue = h.taskQueue('buffered');
    const workflowId = h.workflowId('buffered');
    h.track(await h.client.workflow.start('firstPokes', { taskQueue, workflowId }));
    const task = await pollWorkflowTask(h, taskQueue);
    const handle = h.client.workflow.getHandle(workflowId);
    await handle.signal('poke', 'arrived mid-task');
    expect(eventTypes(await handle.fetchHistory())).not.toContain('WORKFLOW_EXECUTION_SIGNALED');

    const err = await h.client.workflowService
      .respondWorkflowTaskCompleted({
        namespace: h.namespace,
        taskToken: task.taskToken,
        identity: 'raw-poller',
        commands: [
          {
            commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            completeWorkflowExecutionCommandAttributes: { result: { payloads: [] } },
          },
        ],
      })
      .catch((e: unknown) => e);
    // sdk-core recognises exactly this status and message and retries the task from history.
    expect(err).toMatchObject({ code: INVALID_ARGUMENT, details: 'UnhandledCommand' });
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const types = eventTypes(await handle.fetchHistory());
    const failedAt = types.indexOf('WORKFLOW_TASK_FAILED');
    expect(failedAt).toBeGreaterThan(0);
    expect(types.indexOf('WORKFLOW_EXECUTION_SIGNALED')).toBeGreaterThan(failedAt);
    const failed = eventsOfType(await handle.fetchHistory(), 'WORKFLOW_TASK_FAILED')[0];
    expect(failed?.workflowTaskFailedEventAttributes?.cause).toBe(
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    );

    expect(await h.withWorker({ taskQueue }, () => handle.result())).toEqual(['arrived mid-task']);
  });

  it('writes a signal that arrives during a task after that task completes', async () => {
    const taskQueue = h.taskQueue('buffered-ok');
    const workflowId = h.workflowId('buffered-ok');
    h.track(await h.client.workflow.start('firstPokes', { taskQueue, workflowId }));
    const task = await pollWorkflowTask(h, taskQueue);
    const handle = h.client.workflow.getHandle(workflowId);
    await handle.signal('poke', 'mid-task');
    await h.client.workflowService.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: task.taskToken,
      identity: 'raw-poller',
      commands: [],
    });
    const types = eventTypes(await handle.fetchHistory());
    expect(types.slice(0, 6)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    expect(await h.withWorker({ taskQueue }, () => handle.result())).toEqual(['mid-task']);
  });

  it('fails the task with a clear cause on a command it does not support, never silently', async () => {
    const taskQueue = h.taskQueue('bad-command');
    const workflowId = h.workflowId('bad-command');
    const handle = await h.client.workflow.start('firstPokes', { taskQueue, workflowId });
    const task = await pollWorkflowTask(h, taskQueue);
    const err = await h.client.workflowService
      .respondWorkflowTaskCompleted({
        namespace: h.namespace,
        taskToken: task.taskToken,
        identity: 'raw-poller',
        commands: [{ commandType: CommandType.COMMAND_TYPE_UNSPECIFIED }],
      })
      .catch((e: unknown) => e);
    const types = eventTypes(await handle.fetchHistory());
    expect(types).not.toContain('WORKFLOW_TASK_COMPLETED');
    // Either the RPC is rejected with a message or the task is failed in history with a cause.
    const failed = eventsOfType(await handle.fetchHistory(), 'WORKFLOW_TASK_FAILED')[0];
    expect(
      Boolean((err as { details?: string } | undefined)?.details) ||
        Boolean(failed?.workflowTaskFailedEventAttributes?.cause),
    ).toBe(true);
    await handle.terminate('cleanup');
  });
});

import { describe, expect, it } from '@jest/globals';
import { msToTs } from '@temporalio/common/lib/time.js';
import { temporal } from '@temporalio/proto';
import { eventsOfType, eventTypes, longPoll, pollWorkflowTask, useHarness, waitForEvent, withinMs } from './helpers.js';
import { waitFor } from '../helpers/process.js';

const { TaskQueueKind, TimeoutType } = temporal.api.enums.v1;

const h = useHarness();

describe('sticky and non-sticky task queues', () => {
  it('hands later tasks to the worker sticky queue when the worker caches workflows', async () => {
    const taskQueue = h.taskQueue('sticky');
    const workflowId = h.workflowId('sticky');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('timerSteps', { taskQueue, workflowId, args: [3, 10] });
      h.track(handle);
      expect(await handle.result()).toBe(3);
    });
    const scheduled = eventsOfType(await h.history(workflowId), 'WORKFLOW_TASK_SCHEDULED');
    expect(scheduled.length).toBe(4);
    expect(scheduled[0]?.workflowTaskScheduledEventAttributes?.taskQueue).toMatchObject({
      name: taskQueue,
      kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
    });
    const later = scheduled.slice(1).map((e) => e.workflowTaskScheduledEventAttributes?.taskQueue);
    for (const tq of later) {
      expect(tq?.kind).toBe(TaskQueueKind.TASK_QUEUE_KIND_STICKY);
      expect(tq?.name).not.toBe(taskQueue);
      expect(tq?.normalName).toBe(taskQueue);
    }
  });

  it('keeps the SDK metadata sent with a completed task in the WorkflowTaskCompleted event', async () => {
    const taskQueue = h.taskQueue('sdk-metadata');
    const workflowId = h.workflowId('sdk-metadata');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('timerSteps', { taskQueue, workflowId, args: [1, 5] });
      h.track(handle);
      await handle.result();
    });
    const first = eventsOfType(await h.history(workflowId), 'WORKFLOW_TASK_COMPLETED')[0]
      ?.workflowTaskCompletedEventAttributes;
    // Without these, replay would not know which SDK flags the original run used.
    expect(first?.sdkMetadata?.coreUsedFlags?.length).toBeGreaterThan(0);
    expect(first?.sdkMetadata?.sdkName).toBe('temporal-typescript');
    expect(first?.sdkMetadata?.sdkVersion).toBeTruthy();
  });

  it('keeps every task on the normal queue for a worker without a cache, with full history each time', async () => {
    const taskQueue = h.taskQueue('nonsticky');
    const workflowId = h.workflowId('nonsticky');
    await h.withWorker({ taskQueue, maxCachedWorkflows: 0 }, async () => {
      const handle = await h.client.workflow.start('timerSteps', { taskQueue, workflowId, args: [3, 10] });
      h.track(handle);
      expect(await handle.result()).toBe(3);
    });
    const scheduled = eventsOfType(await h.history(workflowId), 'WORKFLOW_TASK_SCHEDULED');
    expect(scheduled.length).toBe(4);
    for (const e of scheduled) {
      expect(e.workflowTaskScheduledEventAttributes?.taskQueue).toMatchObject({
        name: taskQueue,
        kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
      });
    }
  });

  it('moves tasks back to the normal queue when the sticky worker shuts down; a new worker rebuilds from full history', async () => {
    const taskQueue = h.taskQueue('replace');
    const workflowId = h.workflowId('replace');
    // A long sticky timeout: only ShutdownWorker can move the task back in time.
    await h.withWorker({ taskQueue, identity: 'worker-A', stickyQueueScheduleToStartTimeout: '60s' }, async () => {
      h.track(await h.client.workflow.start('waitForFinish', { taskQueue, workflowId }));
      await waitForEvent(h, workflowId, 'WORKFLOW_TASK_COMPLETED');
      const handle = h.client.workflow.getHandle(workflowId);
      await handle.signal('poke', 'while A runs');
      await waitFor('A to handle the poke', async () =>
        eventsOfType(await handle.fetchHistory(), 'WORKFLOW_TASK_COMPLETED').length >= 2 ? true : undefined,
      );
    });
    const handle = h.client.workflow.getHandle(workflowId);
    await handle.signal('poke', 'after A left');
    await handle.signal('finish', 'by B');
    // Bounded below the 60 s sticky timeout; the proof is the history: no task waited out that timeout.
    const result = await h.withWorker({ taskQueue, identity: 'worker-B' }, () =>
      withinMs(45_000, 'the task reaching worker B', handle.result()),
    );
    expect(result).toEqual({ finish: 'by B', pokes: ['while A runs', 'after A left'] });

    const history = await handle.fetchHistory();
    expect(eventsOfType(history, 'WORKFLOW_TASK_TIMED_OUT')).toEqual([]);
    const startedBy = eventsOfType(history, 'WORKFLOW_TASK_STARTED').map(
      (e) => e.workflowTaskStartedEventAttributes?.identity,
    );
    expect(startedBy[0]).toBe('worker-A');
    expect(startedBy.at(-1)).toBe('worker-B');
    // Which queue the last WorkflowTaskScheduled names is not asserted: the real server may still record A's
    // sticky queue there and hand the task to the normal queue when it dispatches it; what counts is B got it.
  });

  it('sends only new events on the sticky queue, full history on the normal queue after ShutdownWorker', async () => {
    const taskQueue = h.taskQueue('sticky-raw');
    const workflowId = h.workflowId('sticky-raw');
    const sticky = { name: `${taskQueue}-sticky`, kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: taskQueue };
    const svc = h.client.workflowService;
    h.track(await h.client.workflow.start('waitForFinish', { taskQueue, workflowId }));
    const handle = h.client.workflow.getHandle(workflowId);

    const first = await pollWorkflowTask(h, taskQueue);
    expect(Number(first.history?.events?.[0]?.eventId)).toBe(1);
    await svc.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: first.taskToken,
      identity: 'raw-poller',
      commands: [],
      stickyAttributes: { workerTaskQueue: sticky, scheduleToStartTimeout: msToTs('60s') },
    });

    // A worker keeps a poll open on its sticky queue; the server routes a task there only while it sees one.
    const stickyPoll = longPoll(h, () =>
      svc.pollWorkflowTaskQueue({ namespace: h.namespace, taskQueue: sticky, identity: 'raw-poller' }),
    );
    await waitFor('a poller on the sticky queue', async () => {
      const described = await svc.describeTaskQueue({ namespace: h.namespace, taskQueue: sticky, taskQueueType: 1 });
      return (described.pollers ?? []).length > 0;
    });
    await handle.signal('poke', 'to sticky');
    const onSticky = await stickyPoll;
    const stickyEvents = onSticky.history?.events ?? [];
    expect(Number(stickyEvents[0]?.eventId)).toBe(Number(onSticky.previousStartedEventId) + 1);
    expect(Number(stickyEvents[0]?.eventId)).toBeGreaterThan(1);
    expect(eventTypes({ events: stickyEvents })).toContain('WORKFLOW_EXECUTION_SIGNALED');
    await svc.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: onSticky.taskToken,
      identity: 'raw-poller',
      commands: [],
      stickyAttributes: { workerTaskQueue: sticky, scheduleToStartTimeout: msToTs('60s') },
    });

    await svc.shutdownWorker({
      namespace: h.namespace,
      stickyTaskQueue: sticky.name,
      identity: 'raw-poller',
      reason: 'test',
    });
    await handle.signal('poke', 'to normal');
    const onNormal = await pollWorkflowTask(h, taskQueue);
    expect(Number(onNormal.history?.events?.[0]?.eventId)).toBe(1);
    expect(eventTypes(onNormal.history ?? {}).filter((t) => t === 'WORKFLOW_EXECUTION_SIGNALED')).toHaveLength(2);
    await svc.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: onNormal.taskToken,
      identity: 'raw-poller',
      commands: [],
    });

    await handle.signal('finish', 'sdk');
    const result = await h.withWorker({ taskQueue }, () => handle.result());
    expect(result).toEqual({ finish: 'sdk', pokes: ['to sticky', 'to normal'] });
  });

  it('forgets a long poll the client cancelled: the next task goes to a live poller', async () => {
    const taskQueue = h.taskQueue('cancelled-poll');
    const workflowId = h.workflowId('cancelled-poll');
    const ctrl = new AbortController();
    const abandoned = h.env.connection.withAbortSignal(ctrl.signal, () =>
      longPoll(h, () =>
        h.client.workflowService.pollWorkflowTaskQueue({
          namespace: h.namespace,
          taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          identity: 'gone',
        }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    ctrl.abort();
    await expect(abandoned).rejects.toMatchObject({ code: 1 }); // CANCELLED
    h.track(await h.client.workflow.start('firstPokes', { taskQueue, workflowId }));
    // Had the engine handed the task to the dead poll, it would resurface only after the 10 s task timeout, as
    // attempt 2: the attempt proves it, not the clock (a busy machine may well take seconds).
    const task = await withinMs(30_000, 'the task reaching a live poller', pollWorkflowTask(h, taskQueue, 'alive'));
    expect(task.workflowExecution?.workflowId).toBe(workflowId);
    expect(task.attempt).toBe(1);
    await h.client.workflowService.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: task.taskToken,
      identity: 'alive',
      commands: [],
    });
    const started = eventsOfType(await h.history(workflowId), 'WORKFLOW_TASK_STARTED');
    expect(started.map((e) => e.workflowTaskStartedEventAttributes?.identity)).toEqual(['alive']);
    await h.client.workflow.getHandle(workflowId).signal('poke', 'done');
    expect(await h.withWorker({ taskQueue }, () => h.client.workflow.getHandle(workflowId).result())).toEqual(['done']);
  });

  it('falls back to the normal queue after the sticky schedule-to-start timeout', async () => {
    const taskQueue = h.taskQueue('sticky-timeout');
    const workflowId = h.workflowId('sticky-timeout');
    h.track(await h.client.workflow.start('firstPokes', { taskQueue, workflowId }));
    const task = await pollWorkflowTask(h, taskQueue);
    await h.client.workflowService.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: task.taskToken,
      identity: 'raw-poller',
      commands: [],
      stickyAttributes: {
        workerTaskQueue: {
          name: `${taskQueue}-sticky-nobody`,
          kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY,
          normalName: taskQueue,
        },
        scheduleToStartTimeout: msToTs('1s'),
      },
    });
    const handle = h.client.workflow.getHandle(workflowId);
    await handle.signal('poke', 'p');
    await waitForEvent(h, workflowId, 'WORKFLOW_TASK_TIMED_OUT');
    const result = await h.withWorker({ taskQueue }, () => handle.result());
    expect(result).toEqual(['p']);
    const history = await handle.fetchHistory();
    const timedOut = eventsOfType(history, 'WORKFLOW_TASK_TIMED_OUT')[0];
    expect(timedOut?.workflowTaskTimedOutEventAttributes?.timeoutType).toBe(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
    const queues = eventsOfType(history, 'WORKFLOW_TASK_SCHEDULED').map(
      (e) => e.workflowTaskScheduledEventAttributes?.taskQueue?.kind,
    );
    expect(queues).toEqual([
      TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
      TaskQueueKind.TASK_QUEUE_KIND_STICKY,
      TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
    ]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { eventTypes, useHarness } from './helpers.js';
import { waitFor } from '../helpers/process.js';
import type { ActivityCall } from './workflows/definitions.js';

const { PendingActivityState, HistoryEventFilterType } = temporal.api.enums.v1;

const h = useHarness();

const activities = {
  async failOnceThenBlock(): Promise<string> {
    const ctx = Context.current();
    ctx.heartbeat(`hb-${ctx.info.attempt}`);
    if (ctx.info.attempt === 1) throw new Error('first attempt failed');
    await ctx.sleep(30_000).catch(() => undefined);
    return 'unblocked';
  },
};

const ids = (events: temporal.api.history.v1.IHistoryEvent[]) => events.map((e) => Number(e.eventId));

describe('DescribeWorkflowExecution', () => {
  it('shows execution info, config and pending activities with attempt, last failure and heartbeat', async () => {
    const taskQueue = h.taskQueue('describe');
    const workflowId = h.workflowId('describe');
    await h.withWorker({ taskQueue, activities, identity: 'describe-worker' }, async () => {
      const call: ActivityCall = {
        name: 'failOnceThenBlock',
        args: [],
        options: {
          activityId: 'act-1',
          startToCloseTimeout: '30s',
          heartbeatTimeout: '10s',
          retry: { initialInterval: '50ms', maximumAttempts: 5 },
        },
      };
      const handle = await h.client.workflow.start('runActivity', { taskQueue, workflowId, args: [call] });
      h.track(handle);
      // Attempt 1's details stay visible while attempt 2 is scheduled; wait for attempt 2's own heartbeat.
      const pending = await waitFor('attempt 2 to heartbeat', async () => {
        const act = (await handle.describe()).raw.pendingActivities?.[0];
        const details = act?.heartbeatDetails?.payloads?.[0];
        return details && defaultPayloadConverter.fromPayload(details) === 'hb-2' ? act : undefined;
      });
      expect(pending).toMatchObject({
        activityId: 'act-1',
        activityType: { name: 'failOnceThenBlock' },
        state: PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        attempt: 2,
        maximumAttempts: 5,
        lastWorkerIdentity: 'describe-worker',
      });
      expect(pending.lastFailure?.message).toBe('first attempt failed');
      expect(defaultPayloadConverter.fromPayload(pending.heartbeatDetails?.payloads?.[0] ?? {})).toBe('hb-2');
      expect(pending.lastHeartbeatTime).toBeTruthy();
      expect(pending.lastStartedTime).toBeTruthy();
      expect(pending.scheduledTime).toBeTruthy();

      const described = await handle.describe();
      expect(described).toMatchObject({
        workflowId,
        runId: handle.firstExecutionRunId,
        type: 'runActivity',
        taskQueue,
      });
      expect(described.status.name).toBe('RUNNING');
      expect(described.startTime).toBeInstanceOf(Date);
      expect(described.executionTime).toBeInstanceOf(Date);
      expect(described.closeTime).toBeUndefined();
      expect(described.historyLength).toBeGreaterThanOrEqual(5);
      expect(Number(described.raw.executionConfig?.defaultWorkflowTaskTimeout?.seconds)).toBe(10);
      expect(described.raw.executionConfig?.taskQueue?.name).toBe(taskQueue);
      await handle.terminate('done describing');
    });
  });
});

describe('GetWorkflowExecutionHistory', () => {
  it('pages through a long history', async () => {
    const taskQueue = h.taskQueue('paging');
    const workflowId = h.workflowId('paging');
    const handle = await h.client.workflow.start('collectPokes', { taskQueue, workflowId, args: [25] });
    h.track(handle);
    for (let i = 0; i < 25; i++) await handle.signal('poke', `p${i}`);
    await h.withWorker({ taskQueue }, () => handle.result());

    const full = (await handle.fetchHistory()).events ?? [];
    const paged: temporal.api.history.v1.IHistoryEvent[] = [];
    let token: Uint8Array | undefined;
    let pages = 0;
    do {
      const res = await h.client.workflowService.getWorkflowExecutionHistory({
        namespace: h.namespace,
        execution: { workflowId },
        maximumPageSize: 10,
        nextPageToken: token,
      });
      const events = res.history?.events ?? [];
      // The server fills a page with whole event batches, so a page may hold a few more than the size asked.
      expect(events.length).toBeGreaterThan(0);
      paged.push(...events);
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
      pages++;
    } while (token && pages < 20);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(ids(paged)).toEqual(ids(full));
    expect(ids(full)).toEqual(full.map((_, i) => i + 1));
  });

  it('long-polls for new events with waitNewEvent and a next page token', async () => {
    const taskQueue = h.taskQueue('longpoll');
    const workflowId = h.workflowId('longpoll');
    const handle = await h.client.workflow.start('collectPokes', { taskQueue, workflowId, args: [1] });
    h.track(handle);
    const svc = h.client.workflowService;
    const first = await svc.getWorkflowExecutionHistory({
      namespace: h.namespace,
      execution: { workflowId },
      waitNewEvent: true,
    });
    const seen = ids(first.history?.events ?? []);
    expect(seen).toEqual([1, 2]);
    expect(first.nextPageToken?.length).toBeGreaterThan(0);

    const polling = svc.getWorkflowExecutionHistory({
      namespace: h.namespace,
      execution: { workflowId },
      waitNewEvent: true,
      nextPageToken: first.nextPageToken,
    });
    let signalledAt = 0;
    setTimeout(() => {
      signalledAt = Date.now();
      void handle.signal('poke', 'wake');
    }, 300);
    const next = await polling;
    expect(signalledAt).toBeGreaterThan(0);
    expect(eventTypes(next.history ?? {})[0]).toBe('WORKFLOW_EXECUTION_SIGNALED');
    expect(ids(next.history?.events ?? [])[0]).toBe(3);
    await handle.terminate('done');
  });

  it('long-polls for the close event only', async () => {
    const taskQueue = h.taskQueue('close-event');
    const workflowId = h.workflowId('close-event');
    const handle = await h.client.workflow.start('blockForever', { taskQueue, workflowId });
    h.track(handle);
    const polling = h.client.workflowService.getWorkflowExecutionHistory({
      namespace: h.namespace,
      execution: { workflowId },
      waitNewEvent: true,
      historyEventFilterType: HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    });
    let terminatedAt = 0;
    setTimeout(() => {
      terminatedAt = Date.now();
      void handle.terminate('closing');
    }, 300);
    const res = await polling;
    expect(terminatedAt).toBeGreaterThan(0);
    expect(eventTypes(res.history ?? {})).toEqual(['WORKFLOW_EXECUTION_TERMINATED']);
  });

  it('serves history in reverse, paged', async () => {
    const taskQueue = h.taskQueue('reverse');
    const workflowId = h.workflowId('reverse');
    const handle = await h.client.workflow.start('collectPokes', { taskQueue, workflowId, args: [3] });
    h.track(handle);
    for (const p of ['a', 'b', 'c']) await handle.signal('poke', p);
    await h.withWorker({ taskQueue }, () => handle.result());
    const forward = ids((await handle.fetchHistory()).events ?? []);

    const reversed: number[] = [];
    let token: Uint8Array | undefined;
    let pages = 0;
    do {
      const res = await h.client.workflowService.getWorkflowExecutionHistoryReverse({
        namespace: h.namespace,
        execution: { workflowId, runId: handle.firstExecutionRunId },
        maximumPageSize: 3,
        nextPageToken: token,
      });
      reversed.push(...ids(res.history?.events ?? []));
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
      pages++;
    } while (token && pages < 20);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(reversed).toEqual([...forward].reverse());
  });

  it('answers NOT_FOUND for the history of an unknown workflow', async () => {
    await expect(
      h.client.workflowService.getWorkflowExecutionHistory({
        namespace: h.namespace,
        execution: { workflowId: 'never-started' },
      }),
    ).rejects.toMatchObject({ code: 5 });
  });
});

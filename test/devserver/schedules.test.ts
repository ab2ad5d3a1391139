/**
 * Schedules through `client.schedule` of the real SDK: intervals and cron specs, pause/unpause, trigger,
 * overlap policies, limited actions, describe/list/update/delete, matching times, and the search
 * attributes and workflow ids of the runs a schedule starts (`<workflowId>-<RFC3339 nominal time>`).
 * Tests run concurrently (each on its own schedule) because most of their time is waiting for the clock.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  Client,
  Connection,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import type {
  ScheduleDescription,
  ScheduleHandle,
  ScheduleOptionsStartWorkflowAction,
  Workflow,
} from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { google } from '@temporalio/proto';
import { status } from '@grpc/grpc-js';
import { startEngineServer } from '../../src/devserver/server.js';
import { schedulerOf } from '../../src/devserver/schedules/rpc.js';
import { describeEngineOnly, millis, useHarness } from './helpers.js';
import { waitFor } from '../helpers/process.js';
import type { Harness } from './helpers.js';

let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
const handles: ScheduleHandle[] = [];

const h = useHarness({
  beforeTeardown: async () => {
    for (const handle of handles) await handle.delete().catch(() => undefined);
    worker?.shutdown();
    await running;
  },
});

beforeAll(async () => {
  taskQueue = h.taskQueue('schedules');
  worker = await h.createWorker({ taskQueue });
  running = worker.run();
});

type Action = Omit<ScheduleOptionsStartWorkflowAction<Workflow>, 'taskQueue' | 'workflowId' | 'type'>;

function action(workflowId: string, a: Action): ScheduleOptionsStartWorkflowAction<Workflow> {
  return { type: 'startWorkflow', taskQueue, workflowId, ...a } as ScheduleOptionsStartWorkflowAction<Workflow>;
}

async function create(
  label: string,
  options: Omit<Parameters<Harness['client']['schedule']['create']>[0], 'scheduleId'>,
): Promise<{ handle: ScheduleHandle; workflowId: string }> {
  const handle = await h.client.schedule.create({ scheduleId: h.workflowId(`sched-${label}`), ...options });
  handles.push(handle);
  const workflowId = (options.action as { workflowId: string }).workflowId;
  return { handle, workflowId };
}

async function untilActions(handle: ScheduleHandle, n: number): Promise<ScheduleDescription> {
  return await waitFor(`${n} actions of ${handle.scheduleId}`, async () => {
    // The real server answers a describe on a busy host with DEADLINE_EXCEEDED now and then: look again.
    const d = await handle.describe().catch((error: unknown) => {
      if ((error as { cause?: { code?: number } }).cause?.code === status.DEADLINE_EXCEEDED) return undefined;
      throw error;
    });
    return d !== undefined && d.info.recentActions.length >= n ? d : undefined;
  });
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('schedules', () => {
  it.concurrent(
    'interval spec: runs every second with timestamped ids and the scheduled-by search attributes',
    async () => {
      const wf = h.workflowId('interval');
      const { handle } = await create('interval', {
        spec: { intervals: [{ every: '1s' }] },
        action: action(wf, { workflowType: 'echo', args: ['tick'] }),
      });
      const d = await untilActions(handle, 2);
      const [a, b] = d.info.recentActions;
      // Whole seconds apart: a busy server may skip a time it could not start in time, never shift one.
      const gap = b!.scheduledAt.getTime() - a!.scheduledAt.getTime();
      expect(gap % 1000).toBe(0);
      expect(gap).toBeGreaterThanOrEqual(1000);
      expect(a!.scheduledAt.getMilliseconds()).toBe(0);
      const first = a!.action.workflow;
      expect(first.workflowId).toBe(`${wf}-${a!.scheduledAt.toISOString().replace('.000Z', 'Z')}`);
      const run = h.client.workflow.getHandle(first.workflowId, first.firstExecutionRunId);
      h.track({ workflowId: first.workflowId, runId: first.firstExecutionRunId });
      expect(await run.result()).toBe('tick');
      const described = await run.describe();
      expect(described.searchAttributes.TemporalScheduledById).toEqual([handle.scheduleId]);
      expect((described.searchAttributes.TemporalScheduledStartTime as Date[])[0]?.getTime()).toBe(
        a!.scheduledAt.getTime(),
      );
      // The first run's result is handed to the next one, as the server does for non-overlapping runs.
      const second = b!.action.workflow;
      h.track({ workflowId: second.workflowId, runId: second.firstExecutionRunId });
      const started = (await h.history(second.workflowId)).events?.[0]?.workflowExecutionStartedEventAttributes;
      expect(Buffer.from(started?.lastCompletionResult?.payloads?.[0]?.data ?? []).toString()).toBe('"tick"');
      expect(started?.continuedExecutionRunId).toBe('');
      expect(started?.identity).toBe(`temporal-scheduler-${h.namespace}-${handle.scheduleId}`);
      // Next action times: ten of them, a second apart, in the future.
      const next = d.info.nextActionTimes.map((t) => t.getTime());
      expect(next).toHaveLength(10);
      expect(next[1]! - next[0]!).toBe(1000);
      expect(next[0]!).toBeGreaterThan(b!.scheduledAt.getTime());
      expect(d.info.numActionsTaken).toBeGreaterThanOrEqual(2);
      expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
      expect(d.spec.intervals).toEqual([{ every: 1000, offset: undefined }]);
    },
  );

  it.concurrent('cron spec: matches only the listed seconds and is described as a structured calendar', async () => {
    const { handle } = await create('cron', {
      spec: { cronExpressions: ['*/2 * * * * * *'] },
      action: action(h.workflowId('cron'), { workflowType: 'echo', args: ['c'] }),
    });
    const d = await untilActions(handle, 2);
    for (const a of d.info.recentActions) expect(a.scheduledAt.getUTCSeconds() % 2).toBe(0);
    expect(d.spec.calendars?.[0]?.second).toEqual([{ start: 0, end: 59, step: 2 }]);
    expect(d.spec.calendars?.[0]?.year).toEqual([]); // all years
  });

  it.concurrent('pause and unpause with notes; a paused schedule takes no scheduled actions', async () => {
    const { handle } = await create('pause', {
      spec: { intervals: [{ every: '1s' }] },
      action: action(h.workflowId('pause'), { workflowType: 'echo', args: ['p'] }),
      state: { paused: true, note: 'created paused' },
    });
    let d = await handle.describe();
    expect(d.state).toMatchObject({ paused: true, note: 'created paused' });
    await pause(1500);
    expect((await handle.describe()).info.numActionsTaken).toBe(0);
    await handle.unpause('go on');
    d = await untilActions(handle, 1);
    expect(d.state).toMatchObject({ paused: false, note: 'go on' });
    await handle.pause('hold');
    const taken = (await handle.describe()).info.numActionsTaken;
    await pause(1500);
    d = await handle.describe();
    expect(d.info.numActionsTaken).toBe(taken);
    expect(d.state.note).toBe('hold');
  });

  it.concurrent('trigger immediately starts a run even while paused', async () => {
    const { handle } = await create('trigger', {
      spec: { calendars: [{ year: 2099, month: 'JANUARY', dayOfMonth: 1 }] },
      action: action(h.workflowId('trigger'), { workflowType: 'echo', args: ['now'] }),
      state: { paused: true },
    });
    await handle.trigger();
    const d = await untilActions(handle, 1);
    expect(d.info.numActionsTaken).toBe(1);
    const started = d.info.recentActions[0]!.action.workflow;
    expect(await h.client.workflow.getHandle(started.workflowId).result()).toBe('now');
    // Future times ignore pausing (only limited actions cut them), as on the server.
    expect(d.info.nextActionTimes.map((t) => t.toISOString())).toEqual(['2099-01-01T00:00:00.000Z']);
  });

  it.concurrent('overlap SKIP keeps one run and counts the skipped; ALLOW_ALL starts every time', async () => {
    const skip = await create('skip', {
      spec: { intervals: [{ every: '1s' }] },
      action: action(h.workflowId('skip'), { workflowType: 'blockForever' }),
    });
    const all = await create('allow', {
      spec: { intervals: [{ every: '1s' }] },
      action: action(h.workflowId('allow'), { workflowType: 'blockForever' }),
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
    });
    await untilActions(all.handle, 3);
    const s = await waitFor('a skipped action', async () => {
      const d = await skip.handle.describe();
      return d.info.numActionsSkippedOverlap >= 2 ? d : undefined;
    });
    expect(s.info.numActionsTaken).toBe(1);
    expect(s.info.runningActions).toHaveLength(1);
    const a = await all.handle.describe();
    expect(a.info.numActionsSkippedOverlap).toBe(0);
    // ALLOW_ALL runs are not tracked as running, as on the server.
    expect(a.info.runningActions).toHaveLength(0);
    await skip.handle.delete();
    await all.handle.delete();
    for (const r of [...s.info.recentActions, ...a.info.recentActions]) {
      await h.client.workflow.getHandle(r.action.workflow.workflowId).terminate('test over');
    }
  });

  it.concurrent('overlap BUFFER_ONE starts the buffered run when the running one closes', async () => {
    const { handle } = await create('buffer', {
      spec: { intervals: [{ every: '1s' }] },
      action: action(h.workflowId('buffer'), { workflowType: 'sleepThenReturn', args: [1800, 'b'] }),
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE },
    });
    const d = await untilActions(handle, 2);
    await handle.pause();
    const [a, b] = d.info.recentActions.map((r) => h.client.workflow.getHandle(r.action.workflow.workflowId));
    const firstClosed = (await a!.describe()).closeTime?.getTime() ?? 0;
    const secondStarted = (await b!.describe()).startTime.getTime();
    expect(firstClosed).toBeGreaterThan(0);
    expect(secondStarted).toBeGreaterThanOrEqual(firstClosed);
    // The second was due a second after the first but waited in the buffer for it.
    expect(d.info.recentActions[1]!.takenAt.getTime()).toBeGreaterThanOrEqual(
      d.info.recentActions[1]!.scheduledAt.getTime() + 500,
    );
  });

  /**
   * The schedule may have started one more run (terminating or cancelling the one before) before it was
   * deleted: stop whatever of its runs still runs, whichever that is.
   */
  async function stopRunsLike(workflowId: string): Promise<void> {
    const prefix = workflowId.replace(/-\d{4}-\d\d-\d\dT.*$/, '');
    for await (const run of h.client.workflow.list({
      query: `WorkflowId STARTS_WITH '${prefix}' AND ExecutionStatus = 'Running'`,
    })) {
      await h.client.workflow.getHandle(run.workflowId, run.runId).terminate('test over');
    }
  }

  it.concurrent('overlap TERMINATE_OTHER terminates the running one before starting the next', async () => {
    const { handle } = await create('terminate', {
      spec: { intervals: [{ every: '1s' }] },
      action: action(h.workflowId('terminate'), { workflowType: 'blockForever' }),
      policies: { overlap: ScheduleOverlapPolicy.TERMINATE_OTHER },
    });
    const d = await untilActions(handle, 2);
    await handle.delete();
    const [first] = d.info.recentActions.map((r) => r.action.workflow.workflowId);
    const history = await h.history(first!);
    const last = history.events?.at(-1);
    expect(last?.workflowExecutionTerminatedEventAttributes?.reason).toBe('terminated by schedule overlap policy');
    expect(last?.workflowExecutionTerminatedEventAttributes?.identity).toBe(
      `temporal-scheduler-${h.namespace}-${handle.scheduleId}`,
    );
    await stopRunsLike(first!);
  });

  it.concurrent(
    'overlap CANCEL_OTHER requests cancellation and starts the next once the run is cancelled',
    async () => {
      const { handle } = await create('cancel', {
        spec: { intervals: [{ every: '1s' }] },
        action: action(h.workflowId('cancel'), { workflowType: 'blockForever' }),
        policies: { overlap: ScheduleOverlapPolicy.CANCEL_OTHER },
      });
      const d = await untilActions(handle, 2);
      await handle.delete();
      const [first, second] = d.info.recentActions.map((r) =>
        h.client.workflow.getHandle(r.action.workflow.workflowId),
      );
      expect((await first!.describe()).status.name).toBe('CANCELLED');
      const history = await h.history(first!.workflowId);
      const requested = history.events?.find((ev) => ev.workflowExecutionCancelRequestedEventAttributes);
      expect(requested?.workflowExecutionCancelRequestedEventAttributes?.cause).toBe(
        'cancelled by schedule overlap policy',
      );
      await stopRunsLike(second!.workflowId);
    },
  );

  it.concurrent('pause on failure pauses the schedule with the failure in the note', async () => {
    const { handle } = await create('onfailure', {
      spec: { intervals: [{ every: '1s' }] },
      action: action(h.workflowId('onfailure'), { workflowType: 'failWith', args: ['boom', 'Boom', true] }),
      policies: { pauseOnFailure: true },
    });
    const d = await waitFor('the schedule to pause', async () => {
      const desc = await handle.describe();
      return desc.state.paused ? desc : undefined;
    });
    const failed = d.info.recentActions[0]!.action.workflow.workflowId;
    expect(d.state.note).toBe(`paused due to workflow failure: ${failed}: boom`);
    expect(d.info.numActionsTaken).toBe(1);
  });

  it.concurrent('backfill starts every matching time of a past range, start inclusive', async () => {
    const wf = h.workflowId('backfill');
    const { handle } = await create('backfill', {
      spec: { intervals: [{ every: '1m' }] },
      action: action(wf, { workflowType: 'echo', args: ['bf'] }),
    });
    const start = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000);
    await handle.backfill({
      start,
      end: new Date(start.getTime() + 2 * 60_000),
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
    });
    const d = await untilActions(handle, 3);
    expect(d.info.recentActions.map((r) => r.scheduledAt.getTime() - start.getTime())).toEqual([0, 60_000, 120_000]);
    const first = d.info.recentActions[0]!.action.workflow.workflowId;
    expect(first).toBe(`${wf}-${start.toISOString().replace('.000Z', 'Z')}`);
    expect(await h.client.workflow.getHandle(first).result()).toBe('bf');
  });

  it.concurrent('limited actions stop after the last one', async () => {
    const { handle } = await create('limited', {
      spec: { intervals: [{ every: '1s' }] },
      action: action(h.workflowId('limited'), { workflowType: 'echo', args: ['l'] }),
      state: { remainingActions: 2 },
    });
    await untilActions(handle, 2);
    await pause(1300);
    const d = await handle.describe();
    expect(d.info.numActionsTaken).toBe(2);
    expect(d.state.remainingActions).toBe(0);
    expect(d.info.nextActionTimes).toEqual([]);
  });

  it.concurrent('update, list, matching times, duplicate create, invalid spec and delete', async () => {
    const { handle } = await create('update', {
      spec: { cronExpressions: ['0 * * * *'] },
      action: action(h.workflowId('update'), { workflowType: 'echo', args: ['u'] }),
    });
    const ts = (iso: string): google.protobuf.Timestamp =>
      google.protobuf.Timestamp.fromObject({ seconds: Date.parse(iso) / 1000 });
    const raw = await h.client.workflowService.listScheduleMatchingTimes({
      namespace: h.namespace,
      scheduleId: handle.scheduleId,
      startTime: ts('2030-01-01T00:30:00Z'),
      endTime: ts('2030-01-01T03:00:00Z'),
    });
    expect(raw.startTime?.map((t) => new Date(millis(t)).toISOString())).toEqual([
      '2030-01-01T01:00:00.000Z',
      '2030-01-01T02:00:00.000Z',
      '2030-01-01T03:00:00.000Z',
    ]);
    await expect(
      h.client.schedule.create({
        scheduleId: handle.scheduleId,
        spec: { intervals: [{ every: '1h' }] },
        action: action('x', { workflowType: 'echo' }),
      }),
    ).rejects.toBeInstanceOf(ScheduleAlreadyRunning);
    await expect(
      h.client.schedule.create({
        scheduleId: h.workflowId('bad'),
        spec: { cronExpressions: ['not a cron'] },
        action: action('x', { workflowType: 'echo' }),
      }),
    ).rejects.toThrow('CronString does not have 5-7 fields');
    await expect(
      h.client.schedule.create({
        scheduleId: h.workflowId('badsa'),
        spec: { intervals: [{ every: '1h' }] },
        action: action('x', { workflowType: 'echo', searchAttributes: { NotRegistered: ['x'] } }),
      }),
    ).rejects.toMatchObject({
      cause: { code: 3, details: 'Namespace default has no mapping defined for search attribute NotRegistered' },
    });
    await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: '1s' }] } }));
    const d = await untilActions(handle, 1);
    expect(d.spec.intervals).toEqual([{ every: 1000, offset: undefined }]);
    expect(d.info.lastUpdatedAt).toBeInstanceOf(Date);
    const listed: string[] = [];
    for await (const s of h.client.schedule.list()) listed.push(`${s.scheduleId}:${s.action?.workflowType ?? ''}`);
    expect(listed).toContain(`${handle.scheduleId}:echo`);
    const query = async (q: string): Promise<string[]> => {
      const ids: string[] = [];
      for await (const s of h.client.schedule.list({ query: q })) ids.push(s.scheduleId);
      return ids;
    };
    expect(await query(`ScheduleId = '${handle.scheduleId}'`)).toEqual([handle.scheduleId]);
    await handle.pause('listed as paused');
    // Visibility follows the schedule asynchronously on the server.
    await waitFor('the schedule listed as paused', async () =>
      (await query('TemporalSchedulePaused = true')).includes(handle.scheduleId),
    );
    expect(await query('TemporalSchedulePaused = false')).not.toContain(handle.scheduleId);
    await handle.delete();
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});

describeEngineOnly(
  "it restores the engine's scheduler records into a second engine",
  'schedule catch-up after the engine was down',
  () => {
    it.concurrent(
      'restored records start what is due within the catch-up window and count the older times as missed',
      async () => {
        const silent = { debug() {}, info() {}, warn() {}, error() {} };
        const opts = { port: 0, host: '127.0.0.1', logger: silent, engine: { longPollMs: 1000, queryTimeoutMs: 1000 } };
        const connectTo = async (address: string): Promise<{ client: Client; close: () => Promise<void> }> => {
          const connection = await Connection.connect({ address });
          return { client: new Client({ connection }), close: () => connection.close() };
        };
        const first = await startEngineServer(opts);
        const a = await connectTo(first.address);
        const scheduleId = h.workflowId('catchup');
        await a.client.schedule.create({
          scheduleId,
          spec: { intervals: [{ every: '5s' }] },
          action: action(h.workflowId('catchup'), { workflowType: 'echo' }),
          policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '20s' },
        });
        const records = schedulerOf(first.engine).snapshot();
        await a.close();
        await first.stop();
        // As if the engine had been down for the last minute: the schedule last looked at the clock then.
        for (const rec of records) {
          rec.internal.lastProcessedMs -= 60_000;
          rec.info.createTimeMs -= 60_000;
        }
        const second = await startEngineServer(opts);
        const from = records[0]!.internal.lastProcessedMs;
        const restoredAt = Date.now();
        schedulerOf(second.engine).restore(records);
        const restoredBy = Date.now();
        const b = await connectTo(second.address);
        try {
          const d = await b.client.schedule.getHandle(scheduleId).describe();
          // Every 5 s time since the last processed time was either started or missed.
          const due = (until: number): number => Math.floor(until / 5000) - Math.floor(from / 5000);
          const total = d.info.numActionsTaken + d.info.numActionsMissedCatchupWindow;
          expect(total).toBeGreaterThanOrEqual(due(restoredAt));
          expect(total).toBeLessThanOrEqual(due(restoredBy));
          expect(d.info.numActionsMissedCatchupWindow).toBeGreaterThanOrEqual(7);
          expect(d.info.numActionsTaken).toBeGreaterThanOrEqual(3);
          for (const r of d.info.recentActions) {
            expect(restoredAt - r.scheduledAt.getTime()).toBeLessThanOrEqual(20_000);
            const run = await b.client.workflow.getHandle(r.action.workflow.workflowId).describe();
            expect(run.status.name).toBe('RUNNING');
          }
        } finally {
          await b.close();
          await second.stop();
        }
      },
    );
  },
);

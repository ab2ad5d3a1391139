import { describe, expect, it } from '@jest/globals';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, TimeoutFailure } from '@temporalio/client';
import { eventsOfType, useHarness, activityFailure, runActivityCall } from './helpers.js';
import type { ActivityCall } from './workflows/definitions.js';

const h = useHarness();

const attempts: { name: string; attempt: number }[] = [];
const record = (name: string): void => void attempts.push({ name, attempt: Context.current().info.attempt });
const attemptsOf = (name: string) => attempts.filter((a) => a.name === name);

/** Activities that outlive their timeouts; they return once the worker cancels them locally. */
const activities = {
  async blocksUntilCancelled(tag: string): Promise<string> {
    record(tag);
    await Context.current()
      .sleep(30_000)
      .catch(() => undefined);
    return 'woke up';
  },
  async heartbeatsThenStalls(tag: string): Promise<string> {
    record(tag);
    Context.current().heartbeat('checkpoint-1');
    await Context.current()
      .sleep(30_000)
      .catch(() => undefined);
    return 'stalled';
  },
  async failsNonRetryable(tag: string): Promise<never> {
    record(tag);
    throw ApplicationFailure.nonRetryable('permanent problem', 'Permanent');
  },
};

const fast = { initialInterval: '50ms', backoffCoefficient: 1 };

const runCall = (label: string, call: ActivityCall) => runActivityCall(h, activities, label, call);

describe('activity timeouts', () => {
  it('schedule-to-start: nobody polls the activity queue', async () => {
    const { outcome } = await runCall('s2s', {
      name: 'blocksUntilCancelled',
      args: ['s2s'],
      options: { taskQueue: h.taskQueue('nobody'), scheduleToStartTimeout: '1s', startToCloseTimeout: '5s' },
    });
    const failure = activityFailure(outcome);
    expect(failure.cause).toBeInstanceOf(TimeoutFailure);
    expect((failure.cause as TimeoutFailure).timeoutType).toBe('SCHEDULE_TO_START');
  });

  it('start-to-close: each attempt times out and is retried until maximumAttempts', async () => {
    const { outcome } = await runCall('s2c', {
      name: 'blocksUntilCancelled',
      args: ['s2c'],
      options: { startToCloseTimeout: '1s', retry: { ...fast, maximumAttempts: 2 } },
    });
    const failure = activityFailure(outcome);
    expect(failure.retryState).toBe('MAXIMUM_ATTEMPTS_REACHED');
    expect((failure.cause as TimeoutFailure).timeoutType).toBe('START_TO_CLOSE');
    expect(attemptsOf('s2c').map((a) => a.attempt)).toEqual([1, 2]);
  });

  it('schedule-to-close: a started attempt outlives the overall deadline', async () => {
    const { outcome, handle } = await runCall('sched2close', {
      name: 'blocksUntilCancelled',
      args: ['sched2close'],
      options: { scheduleToCloseTimeout: '1s', retry: fast },
    });
    const failure = activityFailure(outcome);
    expect((failure.cause as TimeoutFailure).timeoutType).toBe('SCHEDULE_TO_CLOSE');
    // The server fills in the timeouts the workflow left out, capped by schedule-to-close.
    const scheduled = eventsOfType(await handle.fetchHistory(), 'ACTIVITY_TASK_SCHEDULED')[0]
      ?.activityTaskScheduledEventAttributes;
    expect(Number(scheduled?.startToCloseTimeout?.seconds)).toBe(1);
    expect(Number(scheduled?.scheduleToStartTimeout?.seconds)).toBe(1);
  });

  it('heartbeat: the activity stops heartbeating; the failure carries its last details', async () => {
    const { outcome } = await runCall('hb-timeout', {
      name: 'heartbeatsThenStalls',
      args: ['hb-timeout'],
      options: { startToCloseTimeout: '10s', heartbeatTimeout: '1s', retry: { ...fast, maximumAttempts: 1 } },
    });
    const failure = activityFailure(outcome);
    const timeout = failure.cause as TimeoutFailure;
    expect(timeout).toBeInstanceOf(TimeoutFailure);
    expect(timeout.timeoutType).toBe('HEARTBEAT');
    expect(timeout.lastHeartbeatDetails).toBe('checkpoint-1');
  });

  it('fills in missing timeouts the way the server does (start-to-close from schedule-to-close)', async () => {
    const { handle } = await runCall('defaults', {
      name: 'failsNonRetryable',
      args: ['defaults'],
      options: { scheduleToCloseTimeout: '30s' },
    });
    const attrs = eventsOfType(await handle.fetchHistory(), 'ACTIVITY_TASK_SCHEDULED')[0]
      ?.activityTaskScheduledEventAttributes;
    expect(Number(attrs?.startToCloseTimeout?.seconds)).toBe(30);
    expect(Number(attrs?.scheduleToStartTimeout?.seconds)).toBe(30);
    expect(attrs?.retryPolicy?.backoffCoefficient).toBe(2);
    expect(Number(attrs?.retryPolicy?.initialInterval?.seconds)).toBe(1);
    expect(Number(attrs?.retryPolicy?.maximumInterval?.seconds)).toBe(100);
  });
});

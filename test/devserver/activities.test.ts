import { describe, expect, it } from '@jest/globals';
import { CompleteAsyncError, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/client';
import { eventsOfType, useHarness, activityFailure, runActivityCall } from './helpers.js';
import { waitFor } from '../helpers/process.js';
import type { ActivityCall } from './workflows/definitions.js';

const h = useHarness();

/** Every attempt any activity made, so tests can assert attempt counts and timing. */
const attempts: { name: string; attempt: number; at: number }[] = [];
const record = (name: string): number => {
  const { attempt } = Context.current().info;
  attempts.push({ name, attempt, at: Date.now() });
  return attempt;
};
const attemptsOf = (name: string) => attempts.filter((a) => a.name === name);
const asyncTokens = new Map<string, Uint8Array>();

const activities = {
  async alwaysFails(tag: string): Promise<never> {
    const attempt = record(tag);
    throw new Error(`boom on attempt ${attempt}`);
  },
  async failsWithType(tag: string, type: string): Promise<never> {
    record(tag);
    throw ApplicationFailure.create({ message: `typed ${type}`, type });
  },
  async failsNonRetryable(tag: string): Promise<never> {
    record(tag);
    throw ApplicationFailure.nonRetryable('permanent problem', 'Permanent');
  },
  async failsUntilAttempt(tag: string, succeedOn: number): Promise<number> {
    const attempt = record(tag);
    const scheduled = Context.current().info.currentAttemptScheduledTimestampMs;
    attempts.push({ name: `${tag}:scheduled`, attempt, at: scheduled });
    if (attempt < succeedOn) throw new Error(`attempt ${attempt}`);
    return attempt;
  },
  async failsWithNextDelay(tag: string): Promise<string> {
    const attempt = record(tag);
    if (attempt === 1) throw ApplicationFailure.create({ message: 'come back later', nextRetryDelay: '1s' });
    return `attempt ${attempt}`;
  },
  async resumesFromHeartbeat(tag: string): Promise<unknown> {
    const attempt = record(tag);
    const ctx = Context.current();
    if (attempt === 1) {
      ctx.heartbeat({ step: 7 });
      throw new Error('lost progress');
    }
    return ctx.info.heartbeatDetails;
  },
  async heartbeatsUntilCancelled(tag: string): Promise<string> {
    record(tag);
    const ctx = Context.current();
    for (;;) {
      ctx.heartbeat('alive');
      try {
        await ctx.sleep(50);
      } catch (err) {
        attempts.push({ name: `${tag}:cancelled`, attempt: ctx.info.attempt, at: Date.now() });
        throw err;
      }
    }
  },
  async completesAsync(tag: string): Promise<never> {
    record(tag);
    asyncTokens.set(tag, Context.current().info.taskToken);
    throw new CompleteAsyncError();
  },
};

const fast = { initialInterval: '50ms', backoffCoefficient: 1 };

const runCall = (label: string, call: ActivityCall) => runActivityCall(h, activities, label, call);

describe('activity retries', () => {
  it('gives up after maximumAttempts with the last failure and MAXIMUM_ATTEMPTS_REACHED', async () => {
    const { outcome } = await runCall('exhaust', {
      name: 'alwaysFails',
      args: ['exhaust'],
      options: { startToCloseTimeout: '5s', retry: { ...fast, maximumAttempts: 3 } },
    });
    const failure = activityFailure(outcome);
    expect(failure.retryState).toBe('MAXIMUM_ATTEMPTS_REACHED');
    expect(failure.activityType).toBe('alwaysFails');
    expect(failure.cause).toBeInstanceOf(ApplicationFailure);
    expect(failure.cause?.message).toBe('boom on attempt 3');
    expect(attemptsOf('exhaust').map((a) => a.attempt)).toEqual([1, 2, 3]);
  });

  it('does not retry error types listed in nonRetryableErrorTypes', async () => {
    const { outcome } = await runCall('nonretry-type', {
      name: 'failsWithType',
      args: ['nonretry-type', 'Permanent'],
      options: {
        startToCloseTimeout: '5s',
        retry: { ...fast, maximumAttempts: 5, nonRetryableErrorTypes: ['Permanent'] },
      },
    });
    const failure = activityFailure(outcome);
    expect(failure.retryState).toBe('NON_RETRYABLE_FAILURE');
    expect((failure.cause as ApplicationFailure).type).toBe('Permanent');
    expect(attemptsOf('nonretry-type')).toHaveLength(1);
  });

  it('does not retry a failure marked non_retryable', async () => {
    const { outcome } = await runCall('nonretry-flag', {
      name: 'failsNonRetryable',
      args: ['nonretry-flag'],
      options: { startToCloseTimeout: '5s', retry: { ...fast, maximumAttempts: 5 } },
    });
    const failure = activityFailure(outcome);
    expect(failure.retryState).toBe('NON_RETRYABLE_FAILURE');
    expect(failure.cause).toMatchObject({ message: 'permanent problem', type: 'Permanent', nonRetryable: true });
    expect(attemptsOf('nonretry-flag')).toHaveLength(1);
  });

  it('spaces retries by initialInterval x backoffCoefficient, capped at maximumInterval', async () => {
    const { outcome } = await runCall('backoff', {
      name: 'failsUntilAttempt',
      args: ['backoff', 4],
      options: {
        startToCloseTimeout: '5s',
        retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '250ms', maximumAttempts: 5 },
      },
    });
    expect(outcome).toBe(4);
    const failedAt = attemptsOf('backoff').map((a) => a.at);
    const scheduledAt = attemptsOf('backoff:scheduled').map((a) => a.at);
    // The engine stamps each retry's scheduled time, so the gap is the interval plus one RPC, not worker load.
    const gaps = [1, 2, 3].map((i) => (scheduledAt[i] ?? 0) - (failedAt[i - 1] ?? 0));
    [100, 200, 250].forEach((interval, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(interval - 20);
      expect(gaps[i]).toBeLessThan(interval + 150);
    });
  });

  it('waits next_retry_delay instead of the policy interval before the next attempt', async () => {
    const { outcome } = await runCall('next-delay', {
      name: 'failsWithNextDelay',
      args: ['next-delay'],
      options: { startToCloseTimeout: '5s', retry: { ...fast, maximumAttempts: 3 } },
    });
    expect(outcome).toBe('attempt 2');
    const [first, second] = attemptsOf('next-delay');
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('hands the last heartbeat details to the next attempt', async () => {
    const { outcome } = await runCall('hb-resume', {
      name: 'resumesFromHeartbeat',
      args: ['hb-resume'],
      options: { startToCloseTimeout: '5s', retry: { ...fast, maximumAttempts: 2 } },
    });
    expect(outcome).toEqual({ step: 7 });
  });
});

describe('activity cancellation and async completion', () => {
  it('delivers cancellation through the heartbeat response', async () => {
    const taskQueue = h.taskQueue('cancel');
    const outcome = await h.withWorker({ taskQueue, activities }, async () => {
      const handle = await h.client.workflow.start('cancelActivityOnSignal', {
        taskQueue,
        workflowId: h.workflowId('cancel'),
        args: [
          {
            name: 'heartbeatsUntilCancelled',
            args: ['cancel'],
            options: {
              startToCloseTimeout: '30s',
              heartbeatTimeout: '1s',
              cancellationType: 'WAIT_CANCELLATION_COMPLETED',
            },
          } satisfies ActivityCall,
        ],
      });
      h.track(handle);
      await waitFor('activity start', async () => (attemptsOf('cancel').length > 0 ? true : undefined));
      await handle.signal('cancelActivity');
      const result = await handle.result();
      const types = eventsOfType(await handle.fetchHistory(), 'ACTIVITY_TASK_CANCELED');
      expect(types).toHaveLength(1);
      return result;
    });
    expect(outcome).toMatchObject({ name: 'ActivityFailure', causeName: 'CancelledFailure' });
    expect(attemptsOf('cancel:cancelled')).toHaveLength(1);
  });

  it.each(['token', 'id'] as const)('completes an activity asynchronously by %s', async (by) => {
    const tag = `async-${by}`;
    const taskQueue = h.taskQueue(tag);
    const workflowId = h.workflowId(tag);
    const result = await h.withWorker({ taskQueue, activities }, async () => {
      const handle = await h.client.workflow.start('runActivity', {
        taskQueue,
        workflowId,
        args: [
          {
            name: 'completesAsync',
            args: [tag],
            options: { startToCloseTimeout: '30s', activityId: 'async-1' },
          } satisfies ActivityCall,
        ],
      });
      h.track(handle);
      const token = await waitFor('task token', async () => asyncTokens.get(tag));
      if (by === 'token') {
        await h.client.activity.heartbeat(token, 'still going');
        await h.client.activity.complete(token, 'done by token');
      } else {
        await h.client.activity.heartbeat({ workflowId, activityId: 'async-1' }, 'still going');
        await h.client.activity.complete(
          { workflowId, runId: handle.firstExecutionRunId, activityId: 'async-1' },
          'done by id',
        );
      }
      return await handle.result();
    });
    expect(result).toBe(`done by ${by}`);
  });
});

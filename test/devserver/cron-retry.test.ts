import { describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { eventsOfType, useHarness } from './helpers.js';

const Initiator = temporal.api.enums.v1.ContinueAsNewInitiator;
const RetryState = temporal.api.enums.v1.RetryState;

const h = useHarness();

const seconds = (d: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(d?.seconds ?? 0) + (d?.nanos ?? 0) / 1e9;

describe('cronSchedule', () => {
  it('waits for the next matching time, then chains runs with the cron backoff and the last result', async () => {
    const taskQueue = h.taskQueue('cron');
    const workflowId = h.workflowId('cron');
    const handle = await h.client.workflow.start('cronCounter', { taskQueue, workflowId, cronSchedule: '@every 2s' });
    h.track({ workflowId, runId: handle.firstExecutionRunId });
    const first = await h.history(workflowId, handle.firstExecutionRunId);
    const started = eventsOfType(first, 'WORKFLOW_EXECUTION_STARTED')[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.cronSchedule).toBe('@every 2s');
    const backoff = seconds(started?.firstWorkflowTaskBackoff);
    expect(backoff).toBeGreaterThan(0);
    expect(backoff).toBeLessThanOrEqual(2);
    const runs = await h.withWorker({ taskQueue }, async () => {
      // Wait until the third run exists: two completed runs behind it.
      for (;;) {
        const desc = await h.client.workflow.getHandle(workflowId).describe();
        if (desc.runId !== handle.firstExecutionRunId) {
          const second = await h.history(workflowId, desc.runId);
          const attrs = eventsOfType(second, 'WORKFLOW_EXECUTION_STARTED')[0]?.workflowExecutionStartedEventAttributes;
          if (attrs?.continuedExecutionRunId !== handle.firstExecutionRunId) return { last: desc.runId, attrs };
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    const completed = eventsOfType(
      await h.history(workflowId, handle.firstExecutionRunId),
      'WORKFLOW_EXECUTION_COMPLETED',
    )[0];
    const secondRunId = completed?.workflowExecutionCompletedEventAttributes?.newExecutionRunId ?? '';
    expect(secondRunId).toBeTruthy();
    h.track({ workflowId, runId: secondRunId });
    expect(runs.attrs?.initiator).toBe(Initiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE);
    expect(runs.attrs?.continuedExecutionRunId).toBe(secondRunId);
    expect(runs.attrs?.firstExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(defaultPayloadConverter.fromPayload(runs.attrs?.lastCompletionResult?.payloads?.[0] ?? {})).toBe(2);
    expect(seconds(runs.attrs?.firstWorkflowTaskBackoff)).toBeLessThanOrEqual(2);
    await h.client.workflow.getHandle(workflowId).terminate('enough');
  });

  it('runs a cron child workflow as a chain of runs', async () => {
    const taskQueue = h.taskQueue('cron-child');
    const childId = h.workflowId('cron-child');
    await h.withWorker({ taskQueue }, async () => {
      const parent = await h.client.workflow.start('cronParent', {
        taskQueue,
        workflowId: h.workflowId('cron-parent'),
        args: [childId],
      });
      h.track(parent);
      const firstRunId = await parent.result();
      for (;;) {
        const completed = eventsOfType(await h.history(childId, firstRunId), 'WORKFLOW_EXECUTION_COMPLETED')[0];
        const next = completed?.workflowExecutionCompletedEventAttributes?.newExecutionRunId;
        if (next) {
          h.track({ workflowId: childId, runId: firstRunId });
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      await h.client.workflow.getHandle(childId).terminate('enough');
    });
  });

  it('refuses a cron string it cannot parse', async () => {
    const err = await h.client.workflow
      .start('cronCounter', {
        taskQueue: h.taskQueue('bad'),
        workflowId: h.workflowId('bad'),
        cronSchedule: 'every day',
      })
      .then(
        () => null,
        (e: unknown) => e as Error & { cause?: Error },
      );
    expect(String(err?.cause?.message)).toBe('3 INVALID_ARGUMENT: invalid CronSchedule.');
  });
});

describe('workflow retry policy', () => {
  it('retries a failed run as a new run (attempt + 1) until it succeeds', async () => {
    const taskQueue = h.taskQueue('retry');
    const result = await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('flakyUntil', {
        taskQueue,
        workflowId: h.workflowId('retry'),
        args: [3],
        retry: { initialInterval: '100ms', maximumAttempts: 5 },
      });
      h.track(handle);
      const value = await handle.result();
      const failed = eventsOfType(
        await h.history(handle.workflowId, handle.firstExecutionRunId),
        'WORKFLOW_EXECUTION_FAILED',
      )[0];
      expect(failed?.workflowExecutionFailedEventAttributes?.retryState).toBe(RetryState.RETRY_STATE_IN_PROGRESS);
      expect(failed?.workflowExecutionFailedEventAttributes?.newExecutionRunId).toBeTruthy();
      return value;
    });
    expect(result).toBe(3);
  });

  it('stops at maximumAttempts and reports the last failure', async () => {
    const taskQueue = h.taskQueue('retry-max');
    const err = await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('flakyUntil', {
        taskQueue,
        workflowId: h.workflowId('retry-max'),
        args: [10],
        retry: { initialInterval: '50ms', maximumAttempts: 2 },
      });
      h.track(handle);
      return await handle.result().catch((e: unknown) => e);
    });
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).retryState).toBe('MAXIMUM_ATTEMPTS_REACHED');
    expect(String((err as WorkflowFailedError).cause?.message)).toBe('attempt 2 failed');
  });
});

import { beforeAll, describe, expect, it } from '@jest/globals';
import { TimeoutFailure, WorkflowFailedError } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { eventsOfType, eventTypes, millis, useHarness, waitForEvent, withinMs } from './helpers.js';
import { intKey, keywordKey } from './workflows/definitions.js';

const { IndexedValueType } = temporal.api.enums.v1;

const h = useHarness();
beforeAll(async () => {
  // As on a real server, custom search attributes exist only once registered through the OperatorService.
  await h.env.connection.operatorService.addSearchAttributes({
    namespace: h.namespace,
    searchAttributes: {
      CustomKeywordField: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      CustomIntField: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    },
  });
});

describe('start: timeouts, memo, search attributes, delay', () => {
  // Retry state as the real server reports it: an expired execution is TIMEOUT; a run timeout without a
  // retry policy is RETRY_POLICY_NOT_SET (timer_queue_active_task_executor.go, GetRetryBackoffDuration).
  it.each([
    ['workflowExecutionTimeout', 'exec-timeout', 'TIMEOUT'],
    ['workflowRunTimeout', 'run-timeout', 'RETRY_POLICY_NOT_SET'],
  ])('%s closes the run as TIMED_OUT', async (option, label, retryState) => {
    const taskQueue = h.taskQueue(label);
    const workflowId = h.workflowId(label);
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('blockForever', { taskQueue, workflowId, [option]: '1s' });
      h.track(handle);
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(TimeoutFailure);
      expect((err as WorkflowFailedError).retryState).toBe(retryState);
      expect((await handle.describe()).status.name).toBe('TIMED_OUT');
      expect(eventTypes(await handle.fetchHistory()).at(-1)).toBe('WORKFLOW_EXECUTION_TIMED_OUT');
    });
  });

  it('passes timeouts, memo and search attributes to the workflow and to describe', async () => {
    const taskQueue = h.taskQueue('info');
    const workflowId = h.workflowId('info');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('infoReport', {
        taskQueue,
        workflowId,
        workflowRunTimeout: '1 minute',
        workflowExecutionTimeout: '2 minutes',
        workflowTaskTimeout: '3s',
        memo: { owner: 'conformance', n: 3 },
        typedSearchAttributes: [
          { key: keywordKey, value: 'kw-1' },
          { key: intKey, value: 42 },
        ],
      });
      h.track(handle);
      const report = await handle.result();
      expect(report).toMatchObject({
        workflowId,
        runId: handle.firstExecutionRunId,
        firstExecutionRunId: handle.firstExecutionRunId,
        attempt: 1,
        memo: { owner: 'conformance', n: 3 },
        keyword: 'kw-1',
        taskQueue,
        runTimeoutMs: 60_000,
        executionTimeoutMs: 120_000,
        taskTimeoutMs: 3_000,
      });
      const described = await handle.describe();
      expect(await described.memo).toEqual({ owner: 'conformance', n: 3 });
      expect(described.typedSearchAttributes.get(keywordKey)).toBe('kw-1');
      expect(described.typedSearchAttributes.get(intKey)).toBe(42);
      expect(described.type).toBe('infoReport');
      expect(described.closeTime).toBeInstanceOf(Date);
      expect(described.historyLength).toBeGreaterThanOrEqual(5);
    });
  });

  it('rejects a start with a search attribute that was never registered', async () => {
    const unknown = defineSearchAttributeKey('NeverRegisteredField', SearchAttributeType.KEYWORD);
    const err = await h.client.workflow
      .start('echo', {
        taskQueue: h.taskQueue('unknown-sa'),
        workflowId: h.workflowId('unknown-sa'),
        args: [1],
        typedSearchAttributes: [{ key: unknown, value: 'x' }],
      })
      .catch((e: unknown) => e as Error & { cause?: { code?: number } });
    expect((err as { cause?: { code?: number } }).cause?.code).toBe(3); // INVALID_ARGUMENT
    expect(String((err as { cause?: unknown }).cause)).toMatch(/NeverRegisteredField/);
  });

  it('applies upserted search attributes and memo', async () => {
    const taskQueue = h.taskQueue('upsert');
    const workflowId = h.workflowId('upsert');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('upsertThenWait', {
        taskQueue,
        workflowId,
        args: [[{ key: keywordKey, value: 'upserted' }], { note: 'from workflow' }],
        memo: { note: 'from start', kept: true },
      });
      h.track(handle);
      await waitForEvent(h, workflowId, 'WORKFLOW_TASK_COMPLETED');
      const history = await handle.fetchHistory();
      expect(eventTypes(history)).toEqual(
        expect.arrayContaining(['UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 'WORKFLOW_PROPERTIES_MODIFIED']),
      );
      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(keywordKey)).toBe('upserted');
      expect(await described.memo).toEqual({ note: 'from workflow', kept: true });
      await handle.signal('finish', 'now');
      expect(await handle.result()).toBe('upserted');
    });
  });

  it('delays the first workflow task by startDelay', async () => {
    const taskQueue = h.taskQueue('delay');
    const workflowId = h.workflowId('delay');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('echo', { taskQueue, workflowId, args: ['late'], startDelay: '1s' });
      h.track(handle);
      expect(await handle.result()).toBe('late');
      const history = await handle.fetchHistory();
      const started = eventsOfType(history, 'WORKFLOW_EXECUTION_STARTED')[0];
      expect(Number(started?.workflowExecutionStartedEventAttributes?.firstWorkflowTaskBackoff?.seconds)).toBe(1);
      const scheduled = eventsOfType(history, 'WORKFLOW_TASK_SCHEDULED')[0];
      const gapMs = millis(scheduled?.eventTime) - millis(started?.eventTime);
      expect(gapMs).toBeGreaterThanOrEqual(950);
    });
  });
});

describe('signal-with-start', () => {
  it('starts a workflow with the signal delivered first', async () => {
    const taskQueue = h.taskQueue('sws');
    const workflowId = h.workflowId('sws');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.signalWithStart('collectPokes', {
        taskQueue,
        workflowId,
        args: [1],
        signal: 'poke',
        signalArgs: ['hello'],
      });
      h.track(handle);
      expect(await withinMs(10_000, 'the signal reaching the new run', handle.result())).toEqual(['hello']);
      expect(eventTypes(await handle.fetchHistory()).slice(0, 3)).toEqual([
        'WORKFLOW_EXECUTION_STARTED',
        'WORKFLOW_EXECUTION_SIGNALED',
        'WORKFLOW_TASK_SCHEDULED',
      ]);
    });
  });

  it('signals the running run instead of starting another', async () => {
    const taskQueue = h.taskQueue('sws-running');
    const workflowId = h.workflowId('sws-running');
    await h.withWorker({ taskQueue }, async () => {
      const first = await h.client.workflow.start('collectPokes', { taskQueue, workflowId, args: [2] });
      h.track(first);
      const second = await h.client.workflow.signalWithStart('collectPokes', {
        taskQueue,
        workflowId,
        args: [2],
        signal: 'poke',
        signalArgs: ['a'],
      });
      expect(second.signaledRunId).toBe(first.firstExecutionRunId);
      await first.signal('poke', 'b');
      expect(await first.result()).toEqual(['a', 'b']);
    });
  });
});

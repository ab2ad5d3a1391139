import { describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { eventsOfType, useHarness } from './helpers.js';
import { grantsQuery } from './workflows/samples.js';

const h = useHarness();

describe('samples-typescript patterns', () => {
  it('saga: a failed step runs the compensations in reverse and fails the workflow', async () => {
    const taskQueue = h.taskQueue('saga');
    const done: string[] = [];
    const activities = {
      step: async (name: string) => {
        done.push(`do:${name}`);
        return name;
      },
      undo: async (name: string) => {
        done.push(`undo:${name}`);
        return name;
      },
    };
    const err = await h.withWorker({ taskQueue, activities }, async () => {
      const handle = await h.client.workflow.start('sagaWorkflow', {
        taskQueue,
        workflowId: h.workflowId('saga'),
        args: [['a', 'b', 'c'], 'c'],
      });
      h.track(handle);
      return await handle.result().catch((e: unknown) => e);
    });
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toBe('step c failed; undone: b,a');
    expect(done).toEqual(['do:a', 'do:b', 'undo:b', 'undo:a']);
  });

  it('mutex: a lock workflow serialises requester workflows over signals', async () => {
    const taskQueue = h.taskQueue('mutex');
    const lockId = h.workflowId('lock');
    const log = await h.withWorker({ taskQueue }, async () => {
      const lock = await h.client.workflow.start('lockWorkflow', { taskQueue, workflowId: lockId, args: [3] });
      h.track(lock);
      const requesters = await Promise.all(
        [1, 2, 3].map(async (i) => {
          const r = await h.client.workflow.start('lockRequester', {
            taskQueue,
            workflowId: `${lockId}-req-${i}`,
            args: [lockId],
          });
          h.track(r);
          return r;
        }),
      );
      await Promise.all(requesters.map((r) => r.result()));
      const result = await lock.result();
      expect(await lock.query(grantsQuery)).toEqual(result);
      return result;
    });
    expect(log).toHaveLength(6);
    // Never two holders: every grant is followed by the same requester's release.
    for (let i = 0; i < log.length; i += 2) expect(log[i + 1]).toBe((log[i] ?? '').replace('grant:', 'release:'));
  });

  it('patching: patched() records a marker and takes the new branch (replayed at teardown)', async () => {
    const taskQueue = h.taskQueue('patch');
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('patchedWorkflow', { taskQueue, workflowId: h.workflowId('patch') });
      h.track(handle);
      expect(await handle.result()).toBe('new');
      const markers = eventsOfType(await handle.fetchHistory(), 'MARKER_RECORDED');
      expect(markers[0]?.markerRecordedEventAttributes?.markerName).toBe('core_patch');
    });
  });
});

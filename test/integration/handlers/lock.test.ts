import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../../../src/config/schema.js';
import type { HandlerResult } from '../../../src/contract/handlers.js';
import { handlerPhaseQuery } from '../../../src/contract/handlers.js';
import { lockStateQuery } from '../../../src/contract/lock.js';
import { lockWorkflowId } from '../../../src/contract/ids.js';
import type { GitFixture } from '../../helpers/git.js';
import { makeGitFixture } from '../../helpers/git.js';
import { waitFor } from '../../helpers/process.js';
import type { RunningWorker } from '../../helpers/supervisor-env.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { killSeen, watcherPid } from './support.js';
import { useSupervisorEnv } from '../../helpers/use-supervisor-env.js';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const millis = (event: HistoryEvent | undefined): number =>
  Number(event?.eventTime?.seconds ?? 0) * 1000 + Math.floor((event?.eventTime?.nanos ?? 0) / 1e6);

/** When a handler first scheduled an activity other than settings/lock/audit/result, and when its last such activity ended. */
async function workSpan(handle: WorkflowHandle): Promise<{ from: number; to: number }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const bookkeeping = new Set(['workerSettings', 'requestLock', 'recordAudit', 'writeResult', 'readPauseFlag']);
  const scheduled = events.filter(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      !bookkeeping.has(e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''),
  );
  const ids = new Set(scheduled.map((e) => Number(e.eventId)));
  const ended = events.filter((e) => {
    const attrs = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    return attrs !== undefined && attrs !== null && ids.has(Number(attrs.scheduledEventId));
  });
  return { from: millis(scheduled[0]), to: millis(ended.at(-1)) };
}

describe('one handler at a time per worker, in priority order', () => {
  const env = useSupervisorEnv();
  let temp: TempDir;
  let repo: GitFixture;
  let config: Config;
  let worker: RunningWorker;

  afterEach(async () => {
    await worker?.stop();
    killSeen();
    await temp?.cleanup();
  });

  async function setUp(deps?: { command: string; args: string[] }, lock: Record<string, number> = {}): Promise<void> {
    temp = await makeTempDir('ts-handlers-lock-');
    repo = await makeGitFixture(temp.path);
    config = env.config(path.join(temp.path, 'nas'), { repoDir: repo.work });
    if (deps !== undefined)
      config = { ...config, repo: { ...config.repo, deps_install: { ...config.repo.deps_install, ...deps } } };
    // A gather window well above the time two starts take to reach the lock, even on a loaded machine.
    worker = await env.startWorker(config, { lock: { gatherMs: 1_500, holderCheckMs: 1_000, ...lock } });
  }

  it('restart_watcher and update_code dropped together: update_code runs first, they never overlap', async () => {
    await setUp();
    const pushed = await repo.pushUpstream('release', { 'r.txt': 'r\n' });
    // The less urgent one is started first, as a slower ingest pass might; the lock still ranks them.
    const restart = await env.start(config, { task_id: 'restart_1', handler: 'restart_watcher', requested_by: 'ops' });
    const update = await env.start(config, { task_id: 'update_1', handler: 'update_code', requested_by: 'ops' });
    const [restartResult, updateResult] = (await Promise.all([restart.result(), update.result()])) as [
      HandlerResult,
      HandlerResult,
    ];
    expect(updateResult.success).toBe(true);
    expect(restartResult.success).toBe(true);
    expect(await repo.head(repo.work)).toBe(pushed);
    const updateSpan = await workSpan(update);
    const restartSpan = await workSpan(restart);
    expect(updateSpan.to).toBeLessThanOrEqual(restartSpan.from);
    expect(await watcherPid(config)).toBe(restartResult.details.pid);
    const state = await env.client.workflow.getHandle(lockWorkflowId(config.worker_id)).query(lockStateQuery);
    expect(state).toMatchObject({ holder: null, queue: [] });
  });

  it('a holder terminated without releasing: the lock notices and the next handler runs', async () => {
    // An install that never ends keeps update_code_deps inside the lock until it is terminated.
    await setUp({ command: process.execPath, args: ['-e', 'setTimeout(() => {}, 120000)'] });
    const stuck = await env.start(config, { task_id: 'stuck_1', handler: 'update_code_deps', requested_by: 'ops' });
    await waitFor('stuck handler inside the lock', async () => (await stuck.query(handlerPhaseQuery)) === 'running');
    const lock = env.client.workflow.getHandle(lockWorkflowId(config.worker_id));
    expect((await lock.query(lockStateQuery)).holder?.workflowId).toBe(stuck.workflowId);
    const next = await env.start(config, { task_id: 'after_1', handler: 'restart_watcher', requested_by: 'ops' });
    await waitFor('next handler waiting', async () => (await next.query(handlerPhaseQuery)) === 'waiting-for-lock');
    await stuck.terminate('test: holder dies without releasing');
    const result = (await next.result()) as HandlerResult;
    expect(result.success).toBe(true);
    expect(await watcherPid(config)).toBe(result.details.pid);
  });

  it('continues as new when its history grows and keeps granting, in order, across runs', async () => {
    await setUp(undefined, { gatherMs: 0, maxHistoryEvents: 15 });
    for (const [i, handler] of (['pause_watcher', 'resume_watcher', 'restart_watcher'] as const).entries()) {
      expect((await env.run(config, { task_id: `can_${i}`, handler, requested_by: 'ops' })).success).toBe(true);
    }
    // Two at once: one waits in the queue while the lock may be moving to a new run.
    const results = (await Promise.all([
      env.run(config, { task_id: 'can_a', handler: 'restart_watcher', requested_by: 'ops' }),
      env.run(config, { task_id: 'can_b', handler: 'pause_watcher', requested_by: 'ops' }),
    ])) as HandlerResult[];
    expect(results.map((result) => result.success)).toEqual([true, true]);
    const lock = env.client.workflow.getHandle(lockWorkflowId(config.worker_id));
    const first = (await lock.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(first?.continuedExecutionRunId).toBeTruthy();
    expect(await lock.query(lockStateQuery)).toMatchObject({
      holder: null,
      queue: [],
      tuning: { maxHistoryEvents: 15 },
    });
  });
});

import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../../src/config/schema.js';
import type { ApprovalState } from '../../../src/contract/approvals.js';
import { approvalQuery } from '../../../src/contract/approvals.js';
import { handlerPhaseQuery } from '../../../src/contract/handlers.js';
import type { FlagInput } from '../../../src/flags/schema.js';
import { DecisionRefused, decideApproval } from '../../../src/operator/approvals.js';
import { activitiesFor } from '../../helpers/activities.js';
import type { GitFixture } from '../../helpers/git.js';
import { makeGitFixture } from '../../helpers/git.js';
import { waitFor } from '../../helpers/process.js';
import type { RunningWorker } from '../../helpers/supervisor-env.js';
import { readResultFile } from '../../helpers/supervisor-env.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { useSupervisorEnv } from '../../helpers/use-supervisor-env.js';
import { killSeen, ndjsonAudit, seenPids, waitForBeat, watcherPid, spawnWorkerProcess } from './support.js';

describe('approvals: a handler that needs one waits for approve / reject / expiry', () => {
  const env = useSupervisorEnv();
  let temp: TempDir;
  let repo: GitFixture;
  let config: Config;
  let worker: RunningWorker | undefined;
  let n = 0;

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    killSeen();
    await temp?.cleanup();
  });

  /** A worker whose rollback_code, update_code and restart_watcher need approval by alice or bob. */
  async function setUp(options: { expires?: string; startWorker?: boolean } = {}): Promise<number> {
    temp = await makeTempDir('ts-approvals-');
    repo = await makeGitFixture(temp.path);
    const expires = options.expires ?? '10m';
    config = env.config(path.join(temp.path, 'nas'), {
      repoDir: repo.work,
      extra: {
        approvals: {
          handlers: { rollback_code: { expires }, update_code: { expires }, restart_watcher: { expires } },
          deciders: ['alice', 'bob'],
        },
      },
    });
    if (options.startWorker !== false) worker = await env.startWorker(config);
    const { pid } = await activitiesFor(config).startWatcher();
    seenPids.add(pid);
    await waitForBeat(config, pid);
    return pid;
  }

  const task = (prefix: string) => `${prefix}_${++n}`;

  async function pending(flag: FlagInput): Promise<{ handle: WorkflowHandle; state: ApprovalState }> {
    const handle = await env.start(config, flag);
    const state = await waitFor('the pending approval', async () => {
      const seen = await handle.query(approvalQuery);
      return seen?.status === 'pending' ? seen : undefined;
    });
    return { handle, state };
  }

  /** True once a recordAudit activity for `action` has completed in the handle's history. */
  async function auditActivityDone(handle: WorkflowHandle, action: string): Promise<boolean> {
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events
      .filter((event) => {
        const attributes = event.activityTaskScheduledEventAttributes;
        const input = attributes?.input?.payloads?.[0]?.data;
        return (
          attributes?.activityType?.name === 'recordAudit' &&
          Buffer.from(input ?? [])
            .toString()
            .includes(action)
        );
      })
      .map((event) => Number(event.eventId));
    return events.some((event) =>
      scheduled.includes(Number(event.activityTaskCompletedEventAttributes?.scheduledEventId ?? -1)),
    );
  }

  const decide = (taskId: string, kind: 'approve' | 'reject', by: string, comment?: string) =>
    decideApproval(env.client, { workerId: config.worker_id, taskId, kind, decision: { by, comment, via: 'cli' } });

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('the decision was accepted');
      },
      (error: unknown) => {
        expect(error).toBeInstanceOf(DecisionRefused);
        return (error as Error).message;
      },
    );

  const auditOf = async (taskId: string) =>
    (await ndjsonAudit(config)).filter((row) => row.task_id === taskId).map((row) => [row.action, row.actor]);

  it('approve: nothing happens before the decision; approved, the restart runs and the audit names both people', async () => {
    const pid = await setUp();
    const taskId = task('restart');
    const { handle, state } = await pending({ task_id: taskId, handler: 'restart_watcher', requested_by: 'carol' });
    expect(await handle.query(handlerPhaseQuery)).toBe('awaiting-approval');
    expect(state).toMatchObject({ requested_by: 'carol', deciders: ['alice', 'bob'], decision: null });
    expect(state.request.summary).toBe(`stop the watcher and start it again; the watcher is running (pid ${pid})`);
    expect(await watcherPid(config)).toBe(pid);

    const outcome = await decide(taskId, 'approve', 'alice', 'go');
    expect(outcome).toMatchObject({ task_id: taskId, decision: 'approved', by: 'alice' });
    const result = await handle.result();
    expect(result).toMatchObject({
      success: true,
      details: { old_pids: [pid], approval: { status: 'approved', decision: { by: 'alice', via: 'cli' } } },
    });
    expect(await watcherPid(config)).not.toBe(pid);
    expect(await auditOf(taskId)).toEqual([
      ['approval_requested', 'carol'],
      ['approved', 'alice'],
      ['completed', 'carol'],
    ]);
    const approved = (await ndjsonAudit(config)).find((row) => row.task_id === taskId && row.action === 'approved');
    expect(approved?.details).toMatchObject({ by: 'alice', comment: 'go', via: 'cli', saw: { facts: { pid } } });
    // Decided: a second decision is refused with who decided.
    expect(await refusal(decide(taskId, 'approve', 'bob'))).toMatch(
      /already ended \(completed\): it was approved by alice at /,
    );
  });

  it('reject: the task ends rejected, nothing executed, the watcher untouched', async () => {
    const pid = await setUp();
    const taskId = task('rollback');
    await repo.commit(repo.work, 'two', { 'two.txt': '2\n' });
    const head = await repo.head(repo.work);
    const { handle } = await pending({ task_id: taskId, handler: 'rollback_code', requested_by: 'carol' });
    await decide(taskId, 'reject', 'bob', 'not tonight');
    const result = await handle.result();
    expect(result).toMatchObject({
      success: false,
      error: 'rejected by bob: not tonight; nothing was done',
      details: { executed: false, approval: { status: 'rejected', decision: { by: 'bob', comment: 'not tonight' } } },
    });
    expect(await repo.head(repo.work)).toBe(head);
    expect(await watcherPid(config)).toBe(pid);
    expect((await readResultFile(config, taskId)).error).toBe(result.error);
    expect(await auditOf(taskId)).toEqual([
      ['approval_requested', 'carol'],
      ['rejected', 'carol'],
    ]);
  });

  it('expiry: the request ends expired after its timer, nothing executed, audited; a late decision is refused', async () => {
    const pid = await setUp({ expires: '2s' });
    const taskId = task('restart');
    const { handle } = await pending({ task_id: taskId, handler: 'restart_watcher', requested_by: 'carol' });
    const result = await handle.result();
    expect(result).toMatchObject({ success: false, details: { executed: false, approval: { status: 'expired' } } });
    expect(result.error).toMatch(/^approval expired at .*: nothing was done$/);
    expect(await watcherPid(config)).toBe(pid);
    expect(await auditOf(taskId)).toEqual([
      ['approval_requested', 'carol'],
      ['expired', 'carol'],
    ]);
    expect(await refusal(decide(taskId, 'approve', 'alice'))).toMatch(/already ended \(completed\): it was expired$/);
  });

  it('refuses a decider not listed, a self-approval and a missing name; the requester may reject', async () => {
    await setUp();
    const taskId = task('rollback');
    await repo.commit(repo.work, 'two', { 'two.txt': '2\n' });
    const { handle } = await pending({ task_id: taskId, handler: 'rollback_code', requested_by: 'alice' });
    expect(await refusal(decide(taskId, 'approve', 'mallory'))).toMatch(
      /mallory may not decide: approvals.deciders lists alice, bob/,
    );
    expect(await refusal(decide(taskId, 'approve', 'alice'))).toMatch(
      /alice requested this task and may not approve it too/,
    );
    expect(await refusal(decide(taskId, 'approve', ''))).toMatch(/must name its operator/);
    expect(await refusal(decide(taskId, 'reject', 'bob', 'x'.repeat(501)))).toMatch(
      /"comment" must be a string of at most 500 characters/,
    );
    expect((await handle.query(approvalQuery))?.status).toBe('pending');
    // The requester may withdraw (reject) their own request.
    await decide(taskId, 'reject', 'alice', 'withdrawn by the requester');
    await expect(handle.result()).resolves.toMatchObject({ details: { approval: { status: 'rejected' } } });
  });

  it('stale: refused when the remote head moved (update_code) or the watcher recovered (restart_watcher)', async () => {
    await setUp();
    await repo.pushUpstream('feature', { 'feature.txt': 'f\n' });
    const update = task('update');
    const { handle } = await pending({ task_id: update, handler: 'update_code', requested_by: 'carol' });
    const moved = await repo.pushUpstream('hotfix', { 'hotfix.txt': 'h\n' });
    expect(await refusal(decide(update, 'approve', 'alice'))).toMatch(
      new RegExp(`stale: the live state changed since the request \\(target was "[0-9a-f]+", is "${moved}"\\)`),
    );
    expect((await handle.query(approvalQuery))?.status).toBe('pending');
    await decide(update, 'reject', 'alice', 'stale');
    await handle.result();

    await activitiesFor(config).stopWatcher();
    const restart = task('restart');
    const down = await pending({ task_id: restart, handler: 'restart_watcher', requested_by: 'carol' });
    expect(down.state.request.facts).toMatchObject({ watcher: 'down', pid: null });
    const { pid } = await activitiesFor(config).startWatcher();
    seenPids.add(pid);
    expect(await refusal(decide(restart, 'approve', 'bob'))).toMatch(/stale: .*watcher was "down", is "running"/);
    await decide(restart, 'reject', 'bob');
    await down.handle.result();
  });

  it('superseded: a newer code change for the same worker makes the older request refuse a decision', async () => {
    await setUp();
    await repo.pushUpstream('two', { 'two.txt': '2\n' });
    await repo.git(repo.work, 'pull', '--quiet', '--ff-only');
    await repo.pushUpstream('three', { 'three.txt': '3\n' });
    const older = task('rollback');
    const first = await pending({ task_id: older, handler: 'rollback_code', requested_by: 'carol' });
    const newer = task('update');
    const second = await pending({ task_id: newer, handler: 'update_code', requested_by: 'carol' });
    await waitFor(
      'the supersede notice',
      async () => (await first.handle.query(approvalQuery))?.superseded_by === newer,
    );
    expect(await refusal(decide(older, 'approve', 'alice'))).toMatch(`superseded by the newer task ${newer}`);
    await decide(newer, 'reject', 'alice');
    await second.handle.result();
    await first.handle.cancel();
  });

  it('a worker SIGKILLed while a request waits: the decision is applied by the next worker', async () => {
    const pid = await setUp({ startWorker: false });
    const { child } = await spawnWorkerProcess(env, config, temp.path);
    const taskId = task('restart');
    const { handle } = await pending({ task_id: taskId, handler: 'restart_watcher', requested_by: 'carol' });
    // The query says pending while the request's audit activity may still be running: a kill then retries it on
    // the next worker, and the NDJSON audit (no database here) would hold the row twice. Killed once it is done.
    await waitFor('the request audited', () => auditActivityDone(handle, 'approval_requested'));
    child.kill('SIGKILL');
    await child;

    worker = await env.startWorker(config);
    await decide(taskId, 'approve', 'alice');
    await expect(handle.result()).resolves.toMatchObject({ success: true, details: { old_pids: [pid] } });
    expect((await auditOf(taskId)).filter(([action]) => action === 'approval_requested')).toHaveLength(1);
  });
});

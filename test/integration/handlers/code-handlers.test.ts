import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createActivities } from '../../../src/activities/index.js';
import type { Config } from '../../../src/config/schema.js';
import { createAuditSink } from '../../../src/db/index.js';
import { checkFlag } from '../../../src/flags/schema.js';
import { taskQueueOf } from '../../../src/config/schema.js';
import type { HandlerResult } from '../../../src/workflows/definitions.js';
import type { GitFixture } from '../../helpers/git.js';
import { divergeWork, isolateGitEnv, makeGitFixture, makeRevertConflict } from '../../helpers/git.js';
import { waitFor } from '../../helpers/process.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import type { RunningWorker, StartWorkerOptions, SupervisorEnv } from '../../helpers/supervisor-env.js';
import { depsMarker, FAST_TIMING, readResultFile, silentLogger, startSupervisorEnv } from '../../helpers/supervisor-env.js';
import { killSeen, ndjsonAudit, seenPids, waitForBeat, watcherPid } from './support.js';

describe('code handlers: update_code, update_code_deps, rollback_code', () => {
  let env: SupervisorEnv;
  let temp: TempDir;
  let repo: GitFixture;
  let config: Config;
  let worker: RunningWorker;
  let n = 0;

  beforeAll(async () => {
    isolateGitEnv();
    env = await startSupervisorEnv();
  });
  afterAll(async () => {
    try {
      await env?.replayAll();
    } finally {
      await env?.teardown();
    }
  });
  afterEach(async () => {
    await worker?.stop();
    killSeen();
    await temp?.cleanup();
  });

  /** A fresh NAS, repository and worker; the watcher is started the way the supervisor starts it. */
  async function setUp(options: { deps?: { command: string; args: string[] }; worker?: StartWorkerOptions } = {}): Promise<number> {
    temp = await makeTempDir('ts-handlers-code-');
    repo = await makeGitFixture(temp.path);
    config = env.config(path.join(temp.path, 'nas'), { repoDir: repo.work });
    if (options.deps !== undefined) config = { ...config, repo: { ...config.repo, deps_install: { ...config.repo.deps_install, ...options.deps } } };
    worker = await env.startWorker(config, options.worker);
    const acts = createActivities({ config, logger: silentLogger, audit: createAuditSink(config, undefined, silentLogger), timing: FAST_TIMING });
    const { pid } = await acts.startWatcher();
    seenPids.add(pid);
    await waitForBeat(config, pid);
    return pid;
  }

  const task = (prefix: string) => `${prefix}_${++n}`;

  async function expectReported(taskId: string, handler: string, label: string, result: HandlerResult): Promise<void> {
    const file = await readResultFile(config, taskId);
    expect(file).toMatchObject({ task_id: taskId, handler, label, worker_id: config.worker_id, success: result.success, requested_by: 'ops' });
    const audit = (await ndjsonAudit(config)).filter((row) => row.task_id === taskId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ handler, label, success: result.success, actor: 'ops', worker_id: config.worker_id });
  }

  it('update_code pulls fast-forward and restarts the watcher', async () => {
    const oldPid = await setUp();
    const recorded = await repo.head(repo.work);
    const pushed = await repo.pushUpstream('new feature', { 'feature.txt': 'x\n' });
    const taskId = task('upd');
    const result = await env.run(config, { task_id: taskId, handler: 'update_code', label: 'AA v1-2', requested_by: 'ops' });
    expect(result).toMatchObject({ success: true, details: { recorded_commit: recorded, head_after: pushed, updated: true, watcher_started: true } });
    expect(await repo.head(repo.work)).toBe(pushed);
    const newPid = await watcherPid(config);
    expect(newPid).toBeDefined();
    expect(newPid).not.toBe(oldPid);
    await expectReported(taskId, 'update_code', 'AA v1-2', result);
  });

  it('update_code on a diverged branch: HEAD back at the recorded commit, watcher running', async () => {
    await setUp();
    const local = await divergeWork(repo);
    const taskId = task('diverged');
    const result = await env.run(config, { task_id: taskId, handler: 'update_code', label: 'diverged', requested_by: 'ops' });
    expect(result.success).toBe(false);
    expect(result.error).toMatch(/fast-forward/);
    expect(result.details).toMatchObject({ recorded_commit: local, final_commit: local, compensated: true, failure_type: 'GitNotFastForward', watcher_started: true });
    expect(await repo.head(repo.work)).toBe(local);
    expect(await watcherPid(config)).toBeDefined();
    await expectReported(taskId, 'update_code', 'diverged', result);
  });

  it('update_code while paused: code updated, watcher not started', async () => {
    await setUp();
    const pause = await env.run(config, { task_id: task('pause'), handler: 'pause_watcher', label: 'maint', requested_by: 'ops' });
    expect(pause.success).toBe(true);
    expect(await watcherPid(config)).toBeUndefined();
    const pushed = await repo.pushUpstream('while paused', { 'p.txt': 'p\n' });
    const result = await env.run(config, { task_id: task('upd-paused'), handler: 'update_code', requested_by: 'ops' });
    expect(result).toMatchObject({ success: true, details: { paused: true, watcher_started: false } });
    expect(await repo.head(repo.work)).toBe(pushed);
    expect(await watcherPid(config)).toBeUndefined();
  });

  it('update_code_deps pulls, runs the configured install in the repository, restarts the watcher', async () => {
    await setUp();
    const pushed = await repo.pushUpstream('needs deps', { 'requirements.txt': 'x\n' });
    const taskId = task('deps');
    const result = await env.run(config, { task_id: taskId, handler: 'update_code_deps', label: 'deps', requested_by: 'ops' });
    expect(result).toMatchObject({ success: true, details: { head_after: pushed, watcher_started: true } });
    // The marker's content is the install's working directory: the repository.
    expect((await readFile(depsMarker(config), 'utf8')).trim()).toBe(repo.work);
    expect(await repo.head(repo.work)).toBe(pushed);
    expect(await watcherPid(config)).toBeDefined();
    expect(await readFile(path.join(config.paths.logs, `task_${taskId}.log`), 'utf8')).toContain('$ ');
    await expectReported(taskId, 'update_code_deps', 'deps', result);
  });

  it('update_code_deps whose install fails after the pull: reset to the recorded commit, watcher running', async () => {
    await setUp({ deps: { command: process.execPath, args: ['-e', 'process.exit(3)'] } });
    const recorded = await repo.head(repo.work);
    const pushed = await repo.pushUpstream('broken deps', { 'requirements.txt': 'broken\n' });
    const result = await env.run(config, { task_id: task('deps-fail'), handler: 'update_code_deps', requested_by: 'ops' });
    expect(result.success).toBe(false);
    expect(result.details).toMatchObject({ recorded_commit: recorded, head_after: pushed, final_commit: recorded, compensated: true, failure_type: 'DepsInstallFailed' });
    expect(await repo.head(repo.work)).toBe(recorded);
    expect(await watcherPid(config)).toBeDefined();
  });

  it('update_code_deps cancelled during the install: compensated, reported as cancelled, lock free again', async () => {
    await setUp({ deps: { command: process.execPath, args: ['-e', 'setTimeout(() => {}, 120000)'] } });
    const recorded = await repo.head(repo.work);
    await repo.pushUpstream('slow deps', { 'requirements.txt': 'slow\n' });
    const taskId = task('deps-cancel');
    const handle = await env.start(config, { task_id: taskId, handler: 'update_code_deps', label: 'slow', requested_by: 'ops' });
    const taskLog = path.join(config.paths.logs, `task_${taskId}.log`);
    await waitFor('install started', () => existsSync(taskLog));
    await handle.cancel();
    await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
    expect(await repo.head(repo.work)).toBe(recorded);
    expect(await watcherPid(config)).toBeDefined();
    expect(await readResultFile(config, taskId)).toMatchObject({ success: false, error: 'cancelled', label: 'slow' });
    expect((await ndjsonAudit(config)).find((row) => row.task_id === taskId)).toMatchObject({ action: 'cancelled', success: false });
    // The lock was released on the way out: the next handler runs at once.
    expect((await env.run(config, { task_id: task('after-cancel'), handler: 'restart_watcher', requested_by: 'ops' })).success).toBe(true);
  });

  it('rollback_code 1 reverts the last commit and starts the watcher again', async () => {
    const oldPid = await setUp();
    await repo.commit(repo.work, 'good', { 'a.txt': 'a\n' });
    const bad = await repo.commit(repo.work, 'bad', { 'b.txt': 'b\n' });
    const taskId = task('rb1');
    const result = await env.run(config, { task_id: taskId, handler: 'rollback_code', label: 'undo bad', requested_by: 'ops', params: { commits_back: 1 } });
    const head = await repo.head(repo.work);
    expect(result).toMatchObject({ success: true, details: { commits_reverted: 1, reverted_commits: [bad], final_commit: head, head_before: bad, success: true, error: null } });
    expect(await repo.subjects(repo.work, 3)).toEqual(['Revert "bad"', 'bad', 'good']);
    const pid = await watcherPid(config);
    expect(pid).toBeDefined();
    expect(pid).not.toBe(oldPid);
    await expectReported(taskId, 'rollback_code', 'undo bad', result);
  });

  it('rollback_code 3 reverts three commits newest first', async () => {
    await setUp();
    const c1 = await repo.commit(repo.work, 'one', { 'app.txt': 'v1\n' });
    const c2 = await repo.commit(repo.work, 'two', { 'app.txt': 'v2\n' });
    const c3 = await repo.commit(repo.work, 'three', { 'app.txt': 'v3\n' });
    const result = await env.run(config, { task_id: task('rb3'), handler: 'rollback_code', requested_by: 'ops', params: { commits_back: 3 } });
    expect(result).toMatchObject({ success: true, details: { commits_reverted: 3, reverted_commits: [c3, c2, c1] } });
    expect(await repo.subjects(repo.work, 3)).toEqual(['Revert "one"', 'Revert "two"', 'Revert "three"']);
    expect(await readFile(path.join(repo.work, 'app.txt'), 'utf8')).toBe('line 1\n');
    expect(await watcherPid(config)).toBeDefined();
  });

  it('rollback_code 3 with a conflict on the second revert: first reverted, conflict aborted, clean tree, watcher running', async () => {
    // Newest-first reverts of a straight history never conflict (each revert restores the tree the next
    // one expects). What does make the second one conflict: a commit landing on the host between two
    // reverts that rewrites the line the middle commit introduced, which is exactly the situation
    // makeRevertConflict describes. The wrapper lands that commit right after the first revert.
    let landed: string | undefined;
    await setUp({
      worker: {
        wrapActivities: (acts) => ({
          ...acts,
          revertCommit: async (sha: string) => {
            const done = await acts.revertCommit(sha);
            landed ??= await repo.commit(repo.work, 'hotfix on the host', { 'app.txt': 'line 1 hotfixed\n' });
            return done;
          },
        }),
      },
    });
    const { first, middle, newest } = await makeRevertConflict(repo);
    const taskId = task('rb-conflict');
    const result = await env.run(config, { task_id: taskId, handler: 'rollback_code', label: 'conflict', requested_by: 'ops', params: { commits_back: 3 } });
    expect(result.success).toBe(false);
    expect(result.error).toMatch(new RegExp(`reverting ${middle} conflicts \\(app\\.txt\\)`));
    expect(result.details).toMatchObject({
      commits_reverted: 1,
      reverted_commits: [newest],
      failed_commit: middle,
      failure_type: 'GitConflict',
      final_commit: landed,
      watcher_started: true,
      success: false,
    });
    expect(result.details.reverted_commits).not.toContain(first);
    expect(await repo.head(repo.work)).toBe(landed);
    expect(await repo.git(repo.work, 'status', '--porcelain')).toBe('');
    expect(existsSync(path.join(repo.work, '.git', 'REVERT_HEAD'))).toBe(false);
    expect(await watcherPid(config)).toBeDefined();
    expect(await readResultFile(config, taskId)).toMatchObject({ success: false, details: { failed_commit: middle } });
  });

  it('commits_back out of range is refused: by the flag schema, and by the workflow when started raw', async () => {
    const pid = await setUp();
    const check = checkFlag({ task_id: 't', handler: 'rollback_code', params: { commits_back: 11 } });
    expect(check.ok).toBe(false);
    const head = await repo.head(repo.work);
    const raw = { task_id: task('rb-raw'), handler: 'rollback_code', label: null, params: { commits_back: 11 }, requested_by: 'ops' };
    const handle = await env.client.workflow.start('rollback_code', { workflowId: `${config.worker_id}/${raw.task_id}`, taskQueue: taskQueueOf(config), args: [raw] });
    const result = (await handle.result()) as HandlerResult;
    expect(result.success).toBe(false);
    expect(result.error).toMatch(/commits_back must be an integer from 1 to 10, got 11/);
    expect(await repo.head(repo.work)).toBe(head);
    // Nothing touched: the very same watcher process still runs.
    expect(await watcherPid(config)).toBe(pid);
    expect((await readResultFile(config, raw.task_id)).success).toBe(false);
  });
});

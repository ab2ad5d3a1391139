import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { resultFilePath } from '../../../src/nas/paths.js';
import { taskQueueOf } from '../../../src/config/schema.js';
import { checkFlag } from '../../../src/flags/schema.js';
import { divergeWork, makeRevertConflict } from '../../helpers/git.js';
import { waitFor } from '../../helpers/process.js';
import { depsMarker, readResultFile } from '../../helpers/supervisor-env.js';
import { useCodeEnv } from './code-env.js';
import { ndjsonAudit, watcherPid } from './support.js';

describe('code handlers: update_code, update_code_deps, rollback_code', () => {
  const code = useCodeEnv();
  const { setUp, task, expectReported } = code;

  it('update_code pulls fast-forward and restarts the watcher', async () => {
    const oldPid = await setUp();
    const recorded = await code.repo().head(code.repo().work);
    const pushed = await code.repo().pushUpstream('new feature', { 'feature.txt': 'x\n' });
    const taskId = task('upd');
    const result = await code
      .env()
      .run(code.config(), { task_id: taskId, handler: 'update_code', label: 'AA v1-2', requested_by: 'ops' });
    expect(result).toMatchObject({
      success: true,
      details: { recorded_commit: recorded, head_after: pushed, updated: true, watcher_started: true },
    });
    expect(await code.repo().head(code.repo().work)).toBe(pushed);
    const newPid = await watcherPid(code.config());
    expect(newPid).toBeDefined();
    expect(newPid).not.toBe(oldPid);
    await expectReported(taskId, 'update_code', 'AA v1-2', result);
  });

  it('update_code on a diverged branch is refused before the stop, listing the local commit; nothing touched', async () => {
    const pid = await setUp();
    const local = await divergeWork(code.repo());
    const taskId = task('diverged');
    const result = await code
      .env()
      .run(code.config(), { task_id: taskId, handler: 'update_code', label: 'diverged', requested_by: 'ops' });
    expect(result.success).toBe(false);
    expect(result.error).toMatch(/fast-forward/);
    expect(result.error).toContain(`${local.slice(0, 12)} local change`);
    expect(result.details).toMatchObject({ failure_type: 'GitNotFastForward', local_commits: [local] });
    expect(await code.repo().head(code.repo().work)).toBe(local);
    // The check came before the stop: the very same watcher process still runs.
    expect(await watcherPid(code.config())).toBe(pid);
    await expectReported(taskId, 'update_code', 'diverged', result);
  });

  it('update_code while paused: code updated, watcher not started', async () => {
    await setUp();
    const pause = await code
      .env()
      .run(code.config(), { task_id: task('pause'), handler: 'pause_watcher', label: 'maint', requested_by: 'ops' });
    expect(pause.success).toBe(true);
    expect(await watcherPid(code.config())).toBeUndefined();
    const pushed = await code.repo().pushUpstream('while paused', { 'p.txt': 'p\n' });
    const result = await code
      .env()
      .run(code.config(), { task_id: task('upd-paused'), handler: 'update_code', requested_by: 'ops' });
    expect(result).toMatchObject({ success: true, details: { paused: true, watcher_started: false } });
    expect(await code.repo().head(code.repo().work)).toBe(pushed);
    expect(await watcherPid(code.config())).toBeUndefined();
  });

  it('update_code_deps pulls, runs the configured install in the repository, restarts the watcher', async () => {
    await setUp();
    const pushed = await code.repo().pushUpstream('needs deps', { 'requirements.txt': 'x\n' });
    const taskId = task('deps');
    const result = await code
      .env()
      .run(code.config(), { task_id: taskId, handler: 'update_code_deps', label: 'deps', requested_by: 'ops' });
    expect(result).toMatchObject({ success: true, details: { head_after: pushed, watcher_started: true } });
    // The marker's content is the install's working directory: the repository.
    expect((await readFile(depsMarker(code.config()), 'utf8')).trim()).toBe(code.repo().work);
    expect(await code.repo().head(code.repo().work)).toBe(pushed);
    expect(await watcherPid(code.config())).toBeDefined();
    expect(await readFile(path.join(code.config().paths.logs, `task_${taskId}.log`), 'utf8')).toContain('$ ');
    await expectReported(taskId, 'update_code_deps', 'deps', result);
  });

  it('update_code_deps whose install fails after the pull: reset to the recorded commit, watcher running', async () => {
    await setUp({ deps: { command: process.execPath, args: ['-e', 'process.exit(3)'] } });
    const recorded = await code.repo().head(code.repo().work);
    const pushed = await code.repo().pushUpstream('broken deps', { 'requirements.txt': 'broken\n' });
    const taskId = task('deps-fail');
    const result = await code
      .env()
      .run(code.config(), { task_id: taskId, handler: 'update_code_deps', requested_by: 'ops' });
    expect(result.success).toBe(false);
    expect(result.details).toMatchObject({
      recorded_commit: recorded,
      head_after: pushed,
      final_commit: recorded,
      compensated: true,
      failure_type: 'DepsInstallFailed',
      backup_ref: `refs/supervisor/backup/${taskId}`,
    });
    expect(await code.repo().head(code.repo().work)).toBe(recorded);
    expect(await watcherPid(code.config())).toBeDefined();
  });

  it('update_code_deps cancelled during the install: compensated, reported as cancelled, lock free again', async () => {
    await setUp({ deps: { command: process.execPath, args: ['-e', 'setTimeout(() => {}, 120000)'] } });
    const recorded = await code.repo().head(code.repo().work);
    await code.repo().pushUpstream('slow deps', { 'requirements.txt': 'slow\n' });
    const taskId = task('deps-cancel');
    const handle = await code
      .env()
      .start(code.config(), { task_id: taskId, handler: 'update_code_deps', label: 'slow', requested_by: 'ops' });
    const taskLog = path.join(code.config().paths.logs, `task_${taskId}.log`);
    await waitFor('install started', () => existsSync(taskLog));
    await handle.cancel();
    await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
    expect(await code.repo().head(code.repo().work)).toBe(recorded);
    expect(await watcherPid(code.config())).toBeDefined();
    expect(await readResultFile(code.config(), taskId)).toMatchObject({
      success: false,
      error: 'cancelled',
      label: 'slow',
    });
    expect((await ndjsonAudit(code.config())).find((row) => row.task_id === taskId)).toMatchObject({
      action: 'cancelled',
      success: false,
    });
    // The lock was released on the way out: the next handler runs at once.
    expect(
      (
        await code
          .env()
          .run(code.config(), { task_id: task('after-cancel'), handler: 'restart_watcher', requested_by: 'ops' })
      ).success,
    ).toBe(true);
  });

  it('rollback_code 1 reverts the last commit and starts the watcher again', async () => {
    const oldPid = await setUp();
    await code.repo().commit(code.repo().work, 'good', { 'a.txt': 'a\n' });
    const bad = await code.repo().commit(code.repo().work, 'bad', { 'b.txt': 'b\n' });
    const taskId = task('rb1');
    const result = await code.env().run(code.config(), {
      task_id: taskId,
      handler: 'rollback_code',
      label: 'undo bad',
      requested_by: 'ops',
      params: { commits_back: 1 },
    });
    const head = await code.repo().head(code.repo().work);
    expect(result).toMatchObject({
      success: true,
      details: {
        commits_reverted: 1,
        reverted_commits: [bad],
        final_commit: head,
        head_before: bad,
        success: true,
        error: null,
      },
    });
    expect(await code.repo().subjects(code.repo().work, 3)).toEqual(['Revert "bad"', 'bad', 'good']);
    const pid = await watcherPid(code.config());
    expect(pid).toBeDefined();
    expect(pid).not.toBe(oldPid);
    await expectReported(taskId, 'rollback_code', 'undo bad', result);
  });

  it('rollback_code 3 reverts three commits newest first', async () => {
    await setUp();
    const c1 = await code.repo().commit(code.repo().work, 'one', { 'app.txt': 'v1\n' });
    const c2 = await code.repo().commit(code.repo().work, 'two', { 'app.txt': 'v2\n' });
    const c3 = await code.repo().commit(code.repo().work, 'three', { 'app.txt': 'v3\n' });
    const result = await code.env().run(code.config(), {
      task_id: task('rb3'),
      handler: 'rollback_code',
      requested_by: 'ops',
      params: { commits_back: 3 },
    });
    expect(result).toMatchObject({ success: true, details: { commits_reverted: 3, reverted_commits: [c3, c2, c1] } });
    expect(await code.repo().subjects(code.repo().work, 3)).toEqual(['Revert "one"', 'Revert "two"', 'Revert "three"']);
    expect(await readFile(path.join(code.repo().work, 'app.txt'), 'utf8')).toBe('line 1\n');
    expect(await watcherPid(code.config())).toBeDefined();
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
          revertCommit: async (input) => {
            const done = await acts.revertCommit(input);
            landed ??= await code
              .repo()
              .commit(code.repo().work, 'hotfix on the host', { 'app.txt': 'line 1 hotfixed\n' });
            return done;
          },
        }),
      },
    });
    const { first, middle, newest } = await makeRevertConflict(code.repo());
    const taskId = task('rb-conflict');
    const result = await code.env().run(code.config(), {
      task_id: taskId,
      handler: 'rollback_code',
      label: 'conflict',
      requested_by: 'ops',
      params: { commits_back: 3 },
    });
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
    expect(await code.repo().head(code.repo().work)).toBe(landed);
    expect(await code.repo().git(code.repo().work, 'status', '--porcelain')).toBe('');
    expect(existsSync(path.join(code.repo().work, '.git', 'REVERT_HEAD'))).toBe(false);
    expect(await watcherPid(code.config())).toBeDefined();
    expect(await readResultFile(code.config(), taskId)).toMatchObject({
      success: false,
      details: { failed_commit: middle },
    });
  });

  it('commits_back out of range is refused: by the flag schema, and by the workflow when started raw', async () => {
    const pid = await setUp();
    const check = checkFlag({ task_id: 't', handler: 'rollback_code', params: { commits_back: 11 } });
    expect(check.ok).toBe(false);
    const head = await code.repo().head(code.repo().work);
    const raw = {
      task_id: task('rb-raw'),
      handler: 'rollback_code',
      label: null,
      params: { commits_back: 11 },
      requested_by: 'ops',
    };
    const handle = await code.env().client.workflow.start('rollback_code', {
      workflowId: `${code.config().worker_id}/${raw.task_id}`,
      taskQueue: taskQueueOf(code.config()),
      args: [raw],
    });
    await expect(handle.result()).rejects.toMatchObject({
      cause: {
        type: 'InvalidHandlerInput',
        message: expect.stringContaining('params.commits_back: must be an integer from 1 to 10, got 11'),
      },
    });
    expect(await code.repo().head(code.repo().work)).toBe(head);
    // Nothing touched: the very same watcher process still runs, no result file, no audit row.
    expect(await watcherPid(code.config())).toBe(pid);
    expect(existsSync(resultFilePath(code.config(), raw.task_id))).toBe(false);
    expect(await ndjsonAudit(code.config())).toEqual([]);
  });
});

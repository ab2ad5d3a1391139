/**
 * Cancelled code changes: the step in flight ends before the undo starts (a revert runs to its end, an
 * install is stopped and waited for); a rollback then puts back the recorded commit and the saved work tree,
 * an update its recorded commit; the watcher starts; the result and audit say cancelled and what the undo did.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { cancelRequestedSignal } from '../../../src/contract/handlers.js';
import { isProcessAlive, waitFor } from '../../helpers/process.js';
import { readResultFile } from '../../helpers/supervisor-env.js';
import { useCodeEnv } from './code-env.js';
import { ndjsonAudit, watcherPid } from './support.js';

describe('code changes cancelled', () => {
  const code = useCodeEnv();

  it('update_code_deps mid-install: the install is stopped before the code is put back', async () => {
    const marker = path.join(tmpdir(), `install-${process.pid}-${Date.now()}.pid`);
    // The install writes its pid, then waits far longer than the test: only the cancel ends it.
    const script = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, String(process.pid)); setTimeout(() => {}, 600000)`;
    await code.setUp({ deps: { command: process.execPath, args: ['-e', script] } });
    const recorded = await code.repo().head(code.repo().work);
    await code.repo().pushUpstream('slow deps', { 'requirements.txt': 'slow\n' });
    const handle = await code.env().start(code.config(), {
      task_id: code.task('deps-cancel-wait'),
      handler: 'update_code_deps',
      requested_by: 'ops',
    });
    await waitFor('the install', () => existsSync(marker), 30_000);
    const installPid = Number(await readFile(marker, 'utf8'));
    await handle.cancel();
    await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
    // Waited for: by the time the handler reports, the install is gone (TRY_CANCEL left it running ~45 s).
    expect(await isProcessAlive(installPid)).toBe(false);
    await rm(marker, { force: true });
    expect(await code.repo().head(code.repo().work)).toBe(recorded);
    expect(await watcherPid(code.config())).toBeDefined();
  });

  it('mid-rollback: the revert in flight finishes, then HEAD, the local edit and the watcher are back', async () => {
    let revertsDone = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    await code.setUp({
      repo: { dirty: 'stash' },
      worker: {
        // The first revert really lands, then holds until the test has cancelled: a cancel mid-step.
        wrapActivities: (acts) => ({
          ...acts,
          revertCommit: async (input) => {
            const done = await acts.revertCommit(input);
            revertsDone += 1;
            if (revertsDone === 1) await released;
            return done;
          },
        }),
      },
    });
    const repo = code.repo();
    await repo.commit(repo.work, 'one', { 'app.txt': 'v1\n' });
    await repo.commit(repo.work, 'two', { 'app.txt': 'v2\n' });
    const recorded = await repo.commit(repo.work, 'three', { 'app.txt': 'v3\n' });
    // An operator's uncommitted edit: saved under the backup ref before the reverts, and put back.
    await writeFile(path.join(repo.work, 'app.txt'), 'v3 edited by hand\n');
    const taskId = code.task('rb-cancel');
    const handle = await code.env().start(code.config(), {
      task_id: taskId,
      handler: 'rollback_code',
      label: 'undo three',
      requested_by: 'ops',
      params: { commits_back: 3 },
    });
    await waitFor('the first revert to land', () => revertsDone === 1, 30_000);
    expect(await repo.head(repo.work)).not.toBe(recorded);
    await handle.signal(cancelRequestedSignal, { by: 'alice@host', reason: 'wrong target' });
    await handle.cancel();
    release();
    await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });

    expect(revertsDone).toBe(1);
    expect(await repo.head(repo.work)).toBe(recorded);
    expect(await readFile(path.join(repo.work, 'app.txt'), 'utf8')).toBe('v3 edited by hand\n');
    expect(await watcherPid(code.config())).toBeDefined();
    const result = await readResultFile(code.config(), taskId);
    expect(result).toMatchObject({
      success: false,
      error: 'cancelled',
      label: 'undo three',
      details: {
        cancelled_by: 'alice@host',
        cancel_reason: 'wrong target',
        restored: true,
        head_before: recorded,
        final_commit: recorded,
        watcher_started: true,
        commits_reverted: expect.any(Number),
      },
    });
    expect((await ndjsonAudit(code.config())).find((row) => row.task_id === taskId)).toMatchObject({
      action: 'cancelled',
      success: false,
    });
  });

  it('before the save: nothing to put back, the watcher runs again', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let stopping = false;
    await code.setUp({
      worker: {
        wrapActivities: (acts) => ({
          ...acts,
          stopWatcher: async (input) => {
            const stopped = await acts.stopWatcher(input);
            stopping = true;
            await released;
            return stopped;
          },
        }),
      },
    });
    const repo = code.repo();
    const head = await repo.commit(repo.work, 'one', { 'app.txt': 'v1\n' });
    const taskId = code.task('rb-cancel-early');
    const handle = await code.env().start(code.config(), {
      task_id: taskId,
      handler: 'rollback_code',
      requested_by: 'ops',
      params: { commits_back: 1 },
    });
    await waitFor('the stop', () => stopping, 30_000);
    await handle.cancel();
    release();
    await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
    expect(await repo.head(repo.work)).toBe(head);
    expect(await watcherPid(code.config())).toBeDefined();
    const result = await readResultFile(code.config(), taskId);
    expect(result).toMatchObject({ success: false, error: 'cancelled', details: { watcher_started: true } });
    expect(result.details).not.toHaveProperty('restored');
  });
});

/**
 * Issue 11: the code handlers never lose an operator's uncommitted work, act only on a configured
 * checkout, check before they stop the watcher, and have a way forward after a rollback.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { prepareFolders } from '../../../src/config/folders.js';
import { parseConfig } from '../../../src/config/load.js';
import { BUILT_IN_DEFAULTS } from '../../../src/config/schema.js';
import type { FlagInput } from '../../../src/flags/schema.js';
import { depsMarker } from '../../helpers/supervisor-env.js';
import { useCodeEnv } from './code-env.js';
import { ndjsonAudit, watcherPid } from './support.js';

describe("code handlers keep the operator's work", () => {
  const code = useCodeEnv();
  const { setUp, task } = code;
  const work = (name: string) => path.join(code.repo().work, name);
  const run = (handler: 'update_code' | 'update_code_deps' | 'rollback_code', params?: { commits_back: number }) =>
    code.env().run(code.config(), {
      task_id: task(handler),
      handler,
      requested_by: 'ops',
      ...(params === undefined ? {} : { params }),
    } as FlagInput);
  const refs = () => code.repo().git(code.repo().work, 'for-each-ref', '--format=%(refname)', 'refs/supervisor/');

  /** An uncommitted edit of a tracked file and a new untracked file. */
  async function edit(): Promise<void> {
    await writeFile(work('app.txt'), 'operator edit\n');
    await writeFile(work('notes.txt'), 'operator notes\n');
  }
  async function expectEdit(): Promise<void> {
    expect(await readFile(work('app.txt'), 'utf8')).toBe('operator edit\n');
    expect(await readFile(work('notes.txt'), 'utf8')).toBe('operator notes\n');
    expect(await code.repo().git(code.repo().work, 'diff', '--cached', '--name-only')).toBe('');
  }

  it('repo.dirty refuse (default): a dirty tree refuses all three handlers before the stop, naming the paths', async () => {
    const pid = await setUp();
    await code.repo().commit(code.repo().work, 'revertable', { 'r.txt': 'r\n' });
    const head = await code.repo().head(code.repo().work);
    await code.repo().pushUpstream('upstream', { 'u.txt': 'u\n' });
    await edit();
    for (const [handler, params] of [
      ['update_code'],
      ['update_code_deps'],
      ['rollback_code', { commits_back: 1 }],
    ] as const) {
      const result = await run(handler, params);
      expect(result).toMatchObject({
        success: false,
        details: { failure_type: 'GitDirtyWorkTree', paths: ['app.txt', 'notes.txt'], watcher_stopped: false },
      });
      expect(result.error).toMatch(/has local changes and repo\.dirty is refuse \(app\.txt, notes\.txt\)/);
    }
    expect(await watcherPid(code.config())).toBe(pid);
    expect(await code.repo().head(code.repo().work)).toBe(head);
    expect(existsSync(depsMarker(code.config()))).toBe(false);
    await expectEdit();
    expect(await refs()).toBe('');
  });

  it('repo.dirty refuse: a tree that turns dirty between the check and the stop is refused, untouched, watcher started again', async () => {
    const pid = await setUp({
      worker: {
        wrapActivities: (acts) => ({
          ...acts,
          stopWatcher: async () => {
            const stopped = await acts.stopWatcher();
            // The watcher's last act on its way out: an edit in its own checkout.
            await writeFile(work('app.txt'), 'written while stopping\n');
            return stopped;
          },
        }),
      },
    });
    const head = await code.repo().head(code.repo().work);
    await code.repo().pushUpstream('upstream', { 'u.txt': 'u\n' });
    const result = await run('update_code');
    expect(result).toMatchObject({
      success: false,
      details: { failure_type: 'GitDirtyWorkTree', compensated: true, watcher_started: true },
    });
    expect(result.error).toMatch(/repo\.dirty is refuse \(app\.txt\)/);
    expect(await readFile(work('app.txt'), 'utf8')).toBe('written while stopping\n');
    expect(await code.repo().head(code.repo().work)).toBe(head);
    expect(await refs()).toBe('');
    const restarted = await watcherPid(code.config());
    expect(restarted).toBeDefined();
    expect(restarted).not.toBe(pid);
  });

  it('stash: update_code failing after the move, or refused for a local commit, leaves the edit in place', async () => {
    let failAdvance = true;
    await setUp({
      repo: { dirty: 'stash' },
      worker: {
        wrapActivities: (acts) => ({
          ...acts,
          advanceTo: async (plan) => {
            const moved = await acts.advanceTo(plan);
            if (failAdvance)
              throw ApplicationFailure.nonRetryable('simulated failure after the move', 'GitCommandFailed');
            return moved;
          },
        }),
      },
    });
    const recorded = await code.repo().head(code.repo().work);
    await code.repo().pushUpstream('upstream', { 'app.txt': 'upstream\n', 'u.txt': 'u\n' });
    await edit();
    const failed = await run('update_code');
    expect(failed).toMatchObject({
      success: false,
      details: {
        recorded_commit: recorded,
        final_commit: recorded,
        compensated: true,
        saved_paths: ['app.txt', 'notes.txt'],
      },
    });
    expect(failed.details.backup_ref).toMatch(/^refs\/supervisor\/backup\/update_code_\d+$/);
    expect(await code.repo().head(code.repo().work)).toBe(recorded);
    expect(existsSync(work('u.txt'))).toBe(false);
    await expectEdit();
    // The audit row names the backup too.
    const audit = (await ndjsonAudit(code.config())).find(
      (row) => (row.details as { backup_ref?: string }).backup_ref === failed.details.backup_ref,
    );
    expect(audit).toMatchObject({ handler: 'update_code', success: false });

    failAdvance = false;
    const local = await code
      .repo()
      .git(code.repo().work, 'commit', '--quiet', '--allow-empty', '-m', 'operator commit')
      .then(() => code.repo().head(code.repo().work));
    const refused = await run('update_code');
    expect(refused).toMatchObject({
      success: false,
      details: { failure_type: 'GitNotFastForward', local_commits: [local] },
    });
    expect(await code.repo().head(code.repo().work)).toBe(local);
    await expectEdit();
  });

  it('stash: a failed update_code_deps puts back commit and edit, and saves what the install left before resetting', async () => {
    const pid = await setUp({
      repo: { dirty: 'stash' },
      deps: {
        command: process.execPath,
        args: ['-e', "require('node:fs').writeFileSync('app.txt', 'written by the install\\n'); process.exit(3)"],
      },
    });
    const recorded = await code.repo().head(code.repo().work);
    const pushed = await code.repo().pushUpstream('needs deps', { 'requirements.txt': 'x\n' });
    await edit();
    const result = await run('update_code_deps');
    expect(result).toMatchObject({
      success: false,
      details: { failure_type: 'DepsInstallFailed', head_after: pushed, final_commit: recorded, compensated: true },
    });
    const taskId = String(result.details.backup_ref).split('/').pop() ?? '';
    expect(result.details.undo_ref).toBe(`refs/supervisor/undo/${taskId}`);
    expect(await code.repo().head(code.repo().work)).toBe(recorded);
    await expectEdit();
    // The install's change to a tracked file was not the operator's, but it is saved all the same.
    expect(await code.repo().git(code.repo().work, 'show', `refs/supervisor/undo/${taskId}:app.txt`)).toBe(
      'written by the install',
    );
    expect(await watcherPid(code.config())).not.toBe(pid);
  });

  it('stash: rollback_code keeps the edit in the backup ref (recoverable), and refuses too many commits before the stop', async () => {
    const pid = await setUp({ repo: { dirty: 'stash' } });
    await edit();
    const refused = await run('rollback_code', { commits_back: 2 });
    expect(refused).toMatchObject({
      success: false,
      error: 'only 0 commit(s) can be reverted, 2 asked',
      details: { failure_type: 'GitNotEnoughCommits', commits_reverted: 0, watcher_stopped: false },
    });
    expect(await watcherPid(code.config())).toBe(pid);
    await expectEdit();

    // Committed past the operator's edit, which stays uncommitted.
    await writeFile(work('r.txt'), 'r\n');
    await code.repo().git(code.repo().work, 'add', '--', 'r.txt');
    await code.repo().git(code.repo().work, 'commit', '--quiet', '-m', 'to revert');
    const done = await run('rollback_code', { commits_back: 1 });
    expect(done).toMatchObject({
      success: true,
      details: { commits_reverted: 1, saved_paths: ['app.txt', 'notes.txt'] },
    });
    expect(await code.repo().git(code.repo().work, 'status', '--porcelain')).toBe('');
    // The documented recovery: apply the saved changes onto the new HEAD, unstaged.
    await code.repo().git(code.repo().work, 'cherry-pick', '--no-commit', String(done.details.backup_ref));
    await code.repo().git(code.repo().work, 'reset', '--quiet');
    await expectEdit();
  });

  it('without repo.dir the code handlers fail at once and touch nothing', async () => {
    const pid = await setUp({ repo: { dir: null } });
    for (const handler of ['update_code', 'update_code_deps', 'rollback_code'] as const) {
      const result = await run(handler);
      expect(result).toMatchObject({
        success: false,
        details: { failure_type: 'RepoNotConfigured', watcher_stopped: false },
      });
      expect(result.error).toMatch(/repo\.dir is not configured/);
    }
    expect(await watcherPid(code.config())).toBe(pid);
    expect(existsSync(depsMarker(code.config()))).toBe(false);
  });

  it('the built-in defaults get a sample checkout with a sample remote, which update_code brings forward', async () => {
    const dir = path.join(code.temp().path, 'defaults');
    const defaults = parseConfig(BUILT_IN_DEFAULTS, { source: 'built-in defaults', baseDir: dir });
    expect(defaults.repo).toMatchObject({ dir: path.join(dir, 'var', 'sample-repo'), sample: true, dirty: 'refuse' });
    prepareFolders(defaults);
    const sample = defaults.repo.dir ?? '';
    await setUp({ repo: { dir: sample } });
    const first = await run('update_code');
    expect(first).toMatchObject({ success: true, details: { updated: false, watcher_started: true } });
    // Someone pushes to the sample remote: the next update_code brings it in.
    const clone = path.join(code.temp().path, 'clone');
    await code.repo().git(code.temp().path, 'clone', '--quiet', path.join(dir, 'var', 'sample-repo-remote.git'), clone);
    const pushed = await code.repo().commit(clone, 'sample change', { 'README.txt': 'changed\n' });
    await code.repo().git(clone, 'push', '--quiet', 'origin', 'HEAD:main');
    expect(await run('update_code')).toMatchObject({ success: true, details: { head_after: pushed, updated: true } });
    // An existing checkout is never recreated or touched by the next start.
    await writeFile(path.join(sample, 'README.txt'), 'local edit\n');
    prepareFolders(defaults);
    expect(await readFile(path.join(sample, 'README.txt'), 'utf8')).toBe('local edit\n');
  });

  it('after a rollback, update_code brings the checkout to the remote head, keeping the reverts under the backup ref', async () => {
    await setUp();
    const bad = await code.repo().pushUpstream('bad release', { 'app.txt': 'bad\n' });
    await code.repo().git(code.repo().work, 'pull', '--quiet', '--ff-only', 'origin', 'main');
    const rollback = await run('rollback_code', { commits_back: 1 });
    expect(rollback).toMatchObject({ success: true, details: { reverted_commits: [bad] } });
    const revert = await code.repo().head(code.repo().work);
    expect(
      await code.repo().git(code.repo().work, 'log', '-1', '--format=%(trailers:key=Supervisor-Task,valueonly)'),
    ).toMatch(/^rollback_code_\d+$/);
    const fixed = await code.repo().pushUpstream('fixed release', { 'app.txt': 'fixed\n' });
    const update = await run('update_code');
    expect(update).toMatchObject({
      success: true,
      details: { mode: 'replace-reverts', replaced_reverts: [revert], head_after: fixed, watcher_started: true },
    });
    expect(await code.repo().head(code.repo().work)).toBe(fixed);
    expect(await code.repo().git(code.repo().work, 'rev-parse', `${String(update.details.backup_ref)}^1`)).toBe(revert);
  });

  it('update_code is refused before the stop when the remote cannot be reached', async () => {
    const pid = await setUp({ repo: { remote: '/nonexistent/remote.git' } });
    const head = await code.repo().head(code.repo().work);
    const result = await run('update_code');
    expect(result).toMatchObject({
      success: false,
      details: { failure_type: 'GitCommandFailed', watcher_stopped: false },
    });
    expect(result.error).toMatch(/git fetch failed/);
    expect(await watcherPid(code.config())).toBe(pid);
    expect(await code.repo().head(code.repo().work)).toBe(head);
  });
});

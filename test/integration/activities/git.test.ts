import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GitConflict } from '../../../src/activities/errors.js';
import type { GitFixture } from '../../helpers/git.js';
import { divergeWork, isolateGitEnv, makeGitFixture, makeRevertConflict } from '../../helpers/git.js';
import { useTempDir } from '../../helpers/tmp.js';
import { activitiesFor } from '../../helpers/activities.js';
import { testConfig } from '../../helpers/config.js';

describe('git activities on a real repository', () => {
  const dir = useTempDir('ts-git-');
  let repo: GitFixture;
  let acts: ReturnType<typeof activitiesFor>;

  beforeAll(() => isolateGitEnv());
  beforeEach(async () => {
    repo = await makeGitFixture(dir());
    acts = activitiesFor(
      testConfig(join(dir(), 'nas'), { repo: { dir: repo.work, remote: 'origin', branch: 'main' } }),
    );
  });

  const status = () => repo.git(repo.work, 'status', '--porcelain', '--untracked-files=all');
  const stashing = () =>
    activitiesFor(testConfig(join(dir(), 'nas-stash'), { repo: { dir: repo.work, dirty: 'stash' } }));
  /** An operator's uncommitted work: a tracked edit, a new file, a deleted file, and an ignored file. */
  async function localWork(): Promise<void> {
    await repo.pushUpstream('tracked files', { '.gitignore': 'ignored.log\n', 'gone.txt': 'to be deleted\n' });
    await repo.git(repo.work, 'pull', '--quiet', '--ff-only', 'origin', 'main');
    await writeFile(join(repo.work, 'app.txt'), 'operator edit\n');
    await writeFile(join(repo.work, 'new file.txt'), 'untracked work\n');
    await rm(join(repo.work, 'gone.txt'));
    await writeFile(join(repo.work, 'ignored.log'), "not the operator's work\n");
  }
  async function expectLocalWork(): Promise<void> {
    expect(await readFile(join(repo.work, 'app.txt'), 'utf8')).toBe('operator edit\n');
    expect(await readFile(join(repo.work, 'new file.txt'), 'utf8')).toBe('untracked work\n');
    expect(existsSync(join(repo.work, 'gone.txt'))).toBe(false);
    // Unstaged, as local edits are: nothing in the index, the same edits in the work tree.
    expect(await repo.git(repo.work, 'diff', '--cached', '--name-only')).toBe('');
    expect((await repo.git(repo.work, 'diff', '--name-status')).split('\n')).toEqual(['M\tapp.txt', 'D\tgone.txt']);
    expect(await repo.git(repo.work, 'ls-files', '--others', '--exclude-standard')).toBe('new file.txt');
  }

  it('reports the current commit', async () => {
    const second = await repo.commit(repo.work, 'second', { 'b.txt': 'b\n' });
    expect(await acts.currentCommit()).toBe(second);
  });

  it('plans a fast-forward to the fetched remote head and advances to it, idempotently', async () => {
    const before = await repo.head(repo.work);
    const pushed = await repo.pushUpstream('upstream work', { 'new.txt': 'new\n' });
    const plan = await acts.planUpdate();
    expect(plan).toEqual({ head: before, target: pushed, mode: 'fast-forward', replaced: [] });
    expect(await repo.head(repo.work)).toBe(before);
    expect(await acts.advanceTo(plan)).toEqual({ before, after: pushed, updated: true });
    expect(await readFile(join(repo.work, 'new.txt'), 'utf8')).toBe('new\n');
    // A retry after a crash finds the work done.
    expect(await acts.advanceTo(plan)).toEqual({ before, after: pushed, updated: true });
  });

  it("refuses to plan over local commits that are not the supervisor's reverts, listing them", async () => {
    const local = await divergeWork(repo);
    const error = await acts.planUpdate().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ type: 'GitNotFastForward', nonRetryable: true });
    expect((error as Error).message).toContain(`${local.slice(0, 12)} local change`);
    expect(await repo.head(repo.work)).toBe(local);
  });

  it("plans to replace the supervisor's own reverts by the remote head, and advances with a reset", async () => {
    const bad = await repo.pushUpstream('bad', { 'bad.txt': 'bad\n' });
    await repo.git(repo.work, 'pull', '--quiet', '--ff-only', 'origin', 'main');
    const revert = await acts.revertCommit({ sha: bad, taskId: 'rb_1' });
    expect(await repo.git(repo.work, 'log', '-1', '--format=%(trailers:key=Supervisor-Task,valueonly)')).toBe('rb_1');
    const fixed = await repo.pushUpstream('fix', { 'bad.txt': 'fixed\n' });
    const plan = await acts.planUpdate();
    expect(plan).toEqual({ head: revert.head, target: fixed, mode: 'replace-reverts', replaced: [revert.head] });
    expect(await acts.advanceTo(plan)).toMatchObject({ after: fixed, updated: true });
    expect(await readFile(join(repo.work, 'bad.txt'), 'utf8')).toBe('fixed\n');
  });

  it('fails the plan when the remote cannot be reached, touching nothing', async () => {
    const hostile = activitiesFor(
      testConfig(join(dir(), 'nas2'), { repo: { dir: repo.work, remote: join(dir(), 'no-such-remote.git') } }),
    );
    await expect(hostile.planUpdate()).rejects.toMatchObject({ type: 'GitCommandFailed', nonRetryable: true });
  });

  it('reverts one commit with the task trailer, and does not revert it twice on a retry', async () => {
    const added = await repo.commit(repo.work, 'add feature', { 'feature.txt': 'feature\n' });
    const result = await acts.revertCommit({ sha: added, taskId: 'task_7' });
    expect(result).toMatchObject({ commit: added, alreadyReverted: false });
    expect(result.head).toBe(await repo.head(repo.work));
    expect(await repo.git(repo.work, 'log', '-1', '--format=%B')).toBe(
      `Revert "add feature"\n\nThis reverts commit ${added}.\n\nSupervisor-Task: task_7`,
    );
    expect(existsSync(join(repo.work, 'feature.txt'))).toBe(false);
    expect(await acts.revertCommit({ sha: added, taskId: 'task_7' })).toEqual({
      commit: added,
      head: result.head,
      alreadyReverted: true,
    });
    expect(await repo.subjects(repo.work, 3)).toEqual(['Revert "add feature"', 'add feature', 'initial']);
    expect(await status()).toBe('');
  });

  it('a retry after a crash between the revert and its commit starts over and commits once, with the trailer', async () => {
    const added = await repo.commit(repo.work, 'add feature', { 'feature.txt': 'feature\n' });
    // What a crash of the first attempt leaves: the revert applied to the index, not committed.
    await repo.git(repo.work, 'revert', '--no-commit', added);
    const result = await acts.revertCommit({ sha: added, taskId: 'task_8' });
    expect(result).toMatchObject({ commit: added, alreadyReverted: false });
    expect(await repo.subjects(repo.work, 3)).toEqual(['Revert "add feature"', 'add feature', 'initial']);
    expect(await repo.git(repo.work, 'log', '-1', '--format=%(trailers:key=Supervisor-Task,valueonly)')).toBe('task_8');
    expect(await status()).toBe('');
  });

  it('aborts a conflicting revert, leaves the tree clean and names the commit', async () => {
    const { middle, newest } = await makeRevertConflict(repo);
    const error = await acts.revertCommit({ sha: middle, taskId: 't' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitConflict);
    expect(error).toMatchObject({ type: 'GitConflict', nonRetryable: true, commit: middle, files: ['app.txt'] });
    expect((error as Error).message).toContain(middle);
    expect(await repo.head(repo.work)).toBe(newest);
    expect(await status()).toBe('');
    expect(existsSync(join(repo.work, '.git', 'REVERT_HEAD'))).toBe(false);
  });

  it('rejects a hash that is no commit, or not a hash at all, and a task id unfit for a trailer', async () => {
    await expect(acts.revertCommit({ sha: '--hard', taskId: 't' })).rejects.toMatchObject({ type: 'GitInvalidCommit' });
    await expect(acts.revertCommit({ sha: 'deadbeefdeadbeef', taskId: 't' })).rejects.toMatchObject({
      type: 'GitInvalidCommit',
      nonRetryable: true,
    });
    await expect(acts.revertCommit({ sha: await repo.head(repo.work), taskId: 'a\nb' })).rejects.toMatchObject({
      type: 'InvalidArgument',
    });
  });

  it('never lets a configured remote or branch pass as an option', async () => {
    const hostile = activitiesFor(
      testConfig(join(dir(), 'nas2'), {
        repo: { dir: repo.work, remote: '--upload-pack=touch /tmp/x', branch: 'main' },
      }),
    );
    await expect(hostile.planUpdate()).rejects.toMatchObject({ type: 'InvalidArgument', nonRetryable: true });
    const refspec = activitiesFor(
      testConfig(join(dir(), 'nas5'), { repo: { dir: repo.work, branch: 'main:refs/heads/evil' } }),
    );
    await expect(refspec.planUpdate()).rejects.toMatchObject({
      type: 'InvalidArgument',
      message: expect.stringMatching(/is not a branch name/),
    });
    expect(await repo.git(repo.work, 'branch', '--list', 'evil')).toBe('');
  });

  it('acts on no repository unless repo.dir names the top of a checkout', async () => {
    const unset = activitiesFor(testConfig(join(dir(), 'nas3')));
    await expect(unset.planUpdate()).rejects.toMatchObject({
      type: 'RepoNotConfigured',
      nonRetryable: true,
      message: expect.stringMatching(/repo\.dir is not configured/),
    });
    await expect(unset.backupWorkTree({ taskId: 't', operation: 'update_code' })).rejects.toMatchObject({
      type: 'RepoNotConfigured',
    });
    // A folder inside another checkout: git would act on the enclosing repository.
    await mkdir(join(repo.work, 'sub'));
    const inner = activitiesFor(testConfig(join(dir(), 'nas4'), { repo: { dir: join(repo.work, 'sub') } }));
    await expect(inner.planRollback({ commitsBack: 1 })).rejects.toMatchObject({
      type: 'RepoNotConfigured',
      message: expect.stringMatching(/not the top of a git checkout/),
    });
    await expect(inner.revertCommit({ sha: await repo.head(repo.work), taskId: 't' })).rejects.toMatchObject({
      type: 'RepoNotConfigured',
    });
    expect(await repo.subjects(repo.work, 1)).toEqual(['initial']);
  });

  it('refuses a plan that would write over an ignored file (git would, and it is in no backup)', async () => {
    await repo.pushUpstream('ignore env', { '.gitignore': '.env\n' });
    await repo.git(repo.work, 'pull', '--quiet', '--ff-only', 'origin', 'main');
    await writeFile(join(repo.work, '.env'), 'SECRET=local\n');
    await writeFile(join(repo.upstream, '.env'), 'SECRET=shipped\n');
    await repo.git(repo.upstream, 'add', '--force', '--', '.env');
    await repo.git(repo.upstream, 'commit', '--quiet', '-m', 'ship .env');
    await repo.git(repo.upstream, 'push', '--quiet', 'origin', 'main');
    await expect(acts.planUpdate()).rejects.toMatchObject({
      type: 'GitDirtyWorkTree',
      message: expect.stringMatching(/ignored files where update_code would write tracked ones \(\.env\)/),
    });
    // A plain `git pull` shows the danger: it overwrites the ignored file without a word.
    await repo.git(repo.work, 'pull', '--quiet', '--ff-only', 'origin', 'main');
    expect(await readFile(join(repo.work, '.env'), 'utf8')).toBe('SECRET=shipped\n');
    // A rollback of a commit that deleted a tracked .env would write it back too.
    await repo.git(repo.work, 'rm', '--quiet', '--cached', '--', '.env');
    await repo.git(repo.work, 'commit', '--quiet', '-m', 'untrack .env');
    await writeFile(join(repo.work, '.env'), 'SECRET=local\n');
    await expect(acts.planRollback({ commitsBack: 1 })).rejects.toMatchObject({
      type: 'GitDirtyWorkTree',
      message: expect.stringMatching(/rollback_code would write/),
    });
    expect(await readFile(join(repo.work, '.env'), 'utf8')).toBe('SECRET=local\n');
  });

  it('plans a rollback only when enough plain commits exist', async () => {
    await expect(acts.planRollback({ commitsBack: 1 })).rejects.toMatchObject({
      type: 'GitNotEnoughCommits',
      message: 'only 0 commit(s) can be reverted, 1 asked',
    });
    const c1 = await repo.commit(repo.work, 'one', { 'a.txt': '1\n' });
    const c2 = await repo.commit(repo.work, 'two', { 'a.txt': '2\n' });
    await expect(acts.planRollback({ commitsBack: 3 })).rejects.toMatchObject({
      type: 'GitNotEnoughCommits',
      message: 'only 2 commit(s) can be reverted, 3 asked',
    });
    const plan = await acts.planRollback({ commitsBack: 2 });
    expect(plan.head).toBe(c2);
    expect(plan.targets.map((c) => c.sha)).toEqual([c2, c1]);
    await repo.git(repo.work, 'commit', '--allow-empty', '-m', 'marker');
    await expect(acts.planRollback({ commitsBack: 2 })).rejects.toMatchObject({
      type: 'GitCommandFailed',
      message: expect.stringContaining('(marker) changes nothing; an empty commit cannot be reverted'),
    });
  });

  it('repo.dirty refuse: the plan and the backup refuse a dirty tree, naming the paths, and change nothing', async () => {
    await localWork();
    const head = await repo.head(repo.work);
    for (const attempt of [
      acts.planUpdate(),
      acts.planRollback({ commitsBack: 1 }),
      acts.backupWorkTree({ taskId: 't1', operation: 'update_code' }),
    ]) {
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toMatchObject({ type: 'GitDirtyWorkTree', nonRetryable: true });
      expect((error as Error).message).toMatch(/repo\.dirty is refuse \(.*app\.txt/);
      expect((error as Error).message).toContain('new file.txt');
    }
    expect(await repo.head(repo.work)).toBe(head);
    await expectLocalWork();
    expect(await repo.git(repo.work, 'for-each-ref', 'refs/supervisor/')).toBe('');
  });

  it('repo.dirty stash: saves tracked and untracked work under the backup ref, cleans, and restores it exactly', async () => {
    await localWork();
    const recorded = await repo.head(repo.work);
    const stash = stashing();
    const backup = await stash.backupWorkTree({ taskId: 'task_9', operation: 'update_code' });
    expect(backup).toMatchObject({ ref: 'refs/supervisor/backup/task_9', recorded });
    expect(backup.savedPaths.sort()).toEqual(['app.txt', 'gone.txt', 'new file.txt']);
    expect(await repo.git(repo.work, 'rev-parse', `${backup.ref}^1`)).toBe(recorded);
    expect(await repo.git(repo.work, 'show', `${backup.ref}:new file.txt`)).toBe('untracked work');
    expect(await status()).toBe('');
    expect(existsSync(join(repo.work, 'ignored.log'))).toBe(true);
    // A retry after a crash finds its own backup and does not overwrite it with the clean tree.
    expect(await stash.backupWorkTree({ taskId: 'task_9', operation: 'update_code' })).toEqual(backup);

    const pushed = await repo.pushUpstream('upstream', { 'app.txt': 'upstream\n', 'more.txt': 'more\n' });
    await stash.advanceTo(await stash.planUpdate());
    expect(await repo.head(repo.work)).toBe(pushed);
    // Something appears after the backup (an install's output): saved too before the reset.
    await writeFile(join(repo.work, 'more.txt'), 'edited during the update\n');
    const restored = await stash.restoreWorkTree({ taskId: 'task_9' });
    expect(restored).toEqual({ restored: true, head: recorded, undoRef: 'refs/supervisor/undo/task_9' });
    expect(await repo.head(repo.work)).toBe(recorded);
    await expectLocalWork();
    expect(await repo.git(repo.work, 'show', 'refs/supervisor/undo/task_9:more.txt')).toBe('edited during the update');
    // Restoring again changes nothing.
    expect(await stash.restoreWorkTree({ taskId: 'task_9' })).toMatchObject({
      restored: true,
      head: recorded,
      undoRef: null,
    });
    await expectLocalWork();
  });

  it('a clean tree still gets a backup ref at HEAD; restore without a backup does nothing', async () => {
    const recorded = await repo.head(repo.work);
    const backup = await acts.backupWorkTree({ taskId: '..', operation: 'rollback_code' });
    expect(backup).toMatchObject({ ref: 'refs/supervisor/backup/x-2e2e', recorded, savedPaths: [] });
    expect(await acts.restoreWorkTree({ taskId: 'never-saved' })).toEqual({
      restored: false,
      head: recorded,
      undoRef: null,
    });
  });
});

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GitConflict } from '../../../src/activities/errors.js';
import type { GitFixture } from '../../helpers/git.js';
import { divergeWork, isolateGitEnv, makeGitFixture, makeRevertConflict } from '../../helpers/git.js';
import { useTempDir } from '../../helpers/tmp.js';
import { activitiesFor, testConfig } from './support.js';

describe('git activities on a real repository', () => {
  const dir = useTempDir('ts-git-');
  let repo: GitFixture;
  let acts: ReturnType<typeof activitiesFor>;

  beforeAll(() => isolateGitEnv());
  beforeEach(async () => {
    repo = await makeGitFixture(dir());
    acts = activitiesFor(testConfig(join(dir(), 'nas'), { repo: { dir: repo.work, remote: 'origin', branch: 'main' } }));
  });

  const clean = async () => (await repo.git(repo.work, 'status', '--porcelain')) === '';

  it('reports the current commit and the last commits', async () => {
    const second = await repo.commit(repo.work, 'second', { 'b.txt': 'b\n' });
    expect(await acts.currentCommit()).toBe(second);
    const commits = await acts.listLastCommits(5);
    expect(commits.map((c) => c.subject)).toEqual(['second', 'initial']);
    expect(commits[0]).toMatchObject({ sha: second, author: 'Test Author' });
    expect(Date.parse(commits[0]?.date ?? '')).not.toBeNaN();
    await expect(acts.listLastCommits(0)).rejects.toMatchObject({ type: 'InvalidArgument' });
  });

  it('fast-forwards to the configured remote branch', async () => {
    const before = await repo.head(repo.work);
    const pushed = await repo.pushUpstream('upstream work', { 'new.txt': 'new\n' });
    expect(await acts.pullFastForward()).toEqual({ before, after: pushed, updated: true });
    expect(await readFile(join(repo.work, 'new.txt'), 'utf8')).toBe('new\n');
    expect(await acts.pullFastForward()).toEqual({ before: pushed, after: pushed, updated: false });
  });

  it('refuses a pull that cannot fast-forward, non-retryably, and leaves HEAD alone', async () => {
    const local = await divergeWork(repo);
    await expect(acts.pullFastForward()).rejects.toMatchObject({ type: 'GitNotFastForward', nonRetryable: true });
    expect(await repo.head(repo.work)).toBe(local);
    expect(await clean()).toBe(true);
  });

  it('reverts one commit with a revert commit, and does not revert it twice on a retry', async () => {
    const added = await repo.commit(repo.work, 'add feature', { 'feature.txt': 'feature\n' });
    const result = await acts.revertCommit(added);
    expect(result).toMatchObject({ commit: added, alreadyReverted: false });
    expect(result.head).toBe(await repo.head(repo.work));
    expect(await repo.subjects(repo.work, 1)).toEqual(['Revert "add feature"']);
    expect(existsSync(join(repo.work, 'feature.txt'))).toBe(false);
    expect(await acts.revertCommit(added)).toEqual({ commit: added, head: result.head, alreadyReverted: true });
    expect(await repo.subjects(repo.work, 3)).toEqual(['Revert "add feature"', 'add feature', 'initial']);
  });

  it('aborts a conflicting revert, leaves the tree clean and names the commit', async () => {
    const { middle, newest } = await makeRevertConflict(repo);
    const error = await acts.revertCommit(middle).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitConflict);
    expect(error).toMatchObject({ type: 'GitConflict', nonRetryable: true, commit: middle, files: ['app.txt'] });
    expect((error as Error).message).toContain(middle);
    expect(await repo.head(repo.work)).toBe(newest);
    expect(await clean()).toBe(true);
    expect(existsSync(join(repo.work, '.git', 'REVERT_HEAD'))).toBe(false);
  });

  it('rejects a hash that is no commit, or not a hash at all', async () => {
    await expect(acts.revertCommit('--hard')).rejects.toMatchObject({ type: 'GitInvalidCommit' });
    await expect(acts.revertCommit('deadbeefdeadbeef')).rejects.toMatchObject({ type: 'GitInvalidCommit', nonRetryable: true });
    await expect(acts.resetTo('HEAD~1')).rejects.toMatchObject({ type: 'GitInvalidCommit' });
  });

  it('never lets a configured remote or branch pass as an option', async () => {
    const hostile = activitiesFor(testConfig(join(dir(), 'nas2'), { repo: { dir: repo.work, remote: '--upload-pack=touch /tmp/x', branch: 'main' } }));
    await expect(hostile.pullFastForward()).rejects.toMatchObject({ type: 'InvalidArgument', nonRetryable: true });
  });

  it('resets hard to a recorded commit, discarding commits and local edits', async () => {
    const recorded = await repo.head(repo.work);
    await repo.pushUpstream('to be undone', { 'undo.txt': 'x\n' });
    await acts.pullFastForward();
    await writeFile(join(repo.work, 'app.txt'), 'local edit\n');
    expect(await acts.resetTo(recorded)).toEqual({ head: recorded });
    expect(await repo.head(repo.work)).toBe(recorded);
    expect(existsSync(join(repo.work, 'undo.txt'))).toBe(false);
    expect(await clean()).toBe(true);
  });
});

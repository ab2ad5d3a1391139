/**
 * The domain errors the activities raise as non-retryable (contract/failures.ts lists their types):
 * retrying cannot help, a person or the workflow's compensation must act. Workflows match on
 * `failure.type`; I/O blips stay plain (retryable) errors.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { PermanentFailureType } from '../contract/failures.js';

/**
 * Base of the domain errors: an ApplicationFailure (so Temporal carries the type and the
 * non-retryable flag across) that is also a named class for `instanceof` in activity code and tests.
 */
export class PermanentFailure extends ApplicationFailure {
  constructor(type: PermanentFailureType, message: string, details?: Record<string, unknown>) {
    super(message, type, true, details === undefined ? undefined : [details]);
  }
}

/** A revert stopped on a conflict; the revert was aborted, the work tree is clean again. */
export class GitConflict extends PermanentFailure {
  constructor(
    readonly commit: string,
    readonly files: string[],
  ) {
    super(
      'GitConflict',
      `reverting ${commit} conflicts (${files.join(', ') || 'unknown files'}); the revert was aborted`,
      { commit, files },
    );
  }
}

/** The local branch has commits the remote has not: a fast-forward pull is impossible. */
export class GitNotFastForward extends PermanentFailure {
  constructor(remote: string, branch: string, detail: string, localCommits: string[] = []) {
    super('GitNotFastForward', `cannot fast-forward to ${remote}/${branch}: ${detail}`, {
      remote,
      branch,
      local_commits: localCommits,
    });
  }
}

/** Local changes in the work tree block the operation (or `repo.dirty: refuse` forbids touching them). */
export class GitDirtyWorkTree extends PermanentFailure {
  constructor(operation: string, detail: string, paths: string[] = []) {
    super('GitDirtyWorkTree', `${operation} blocked by local changes: ${detail}`, { operation, paths });
  }
}

/** rollback_code asked for more commits than the branch can give (the initial commit is never reverted). */
export class GitNotEnoughCommits extends PermanentFailure {
  constructor(asked: number, available: number) {
    super('GitNotEnoughCommits', `only ${available} commit(s) can be reverted, ${asked} asked`, { asked, available });
  }
}

/** The code handlers act only on an explicitly configured checkout, never on a guessed one. */
export class RepoNotConfigured extends PermanentFailure {
  constructor(reason: string) {
    super('RepoNotConfigured', reason);
  }
}

/** Not a commit hash, or no such commit in the repository. */
export class GitInvalidCommit extends PermanentFailure {
  constructor(commit: string, reason: string) {
    super('GitInvalidCommit', `invalid commit ${JSON.stringify(commit.slice(0, 80))}: ${reason}`, {
      commit: commit.slice(0, 80),
    });
  }
}

/** Any other git refusal that a retry would repeat (merge commit without -m, missing identity…). */
export class GitCommandFailed extends PermanentFailure {
  constructor(operation: string, detail: string) {
    super('GitCommandFailed', `git ${operation} failed: ${detail}`, { operation });
  }
}

export class InvalidArgument extends PermanentFailure {
  constructor(message: string) {
    super('InvalidArgument', message);
  }
}

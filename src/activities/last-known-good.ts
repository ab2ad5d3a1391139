/**
 * The keep-alive's last-known-good rollback (issue 14): the commit a healthy watcher ran on, the
 * decision whether a crash loop follows an update_code / update_code_deps that moved HEAD away from it,
 * the rollback_code run that reverts exactly those commits, and the wait for that run's end.
 *
 * "Moved by an update" is read from git itself, never guessed: HEAD's newest reflog entry must be the
 * supervisor's advance step (`merge <sha>: Fast-forward` or `reset: moving to <sha>`, see git-plan.ts
 * advanceTo, naming HEAD), and a backup ref `refs/supervisor/backup/<task>` (git-safety.ts, written by the
 * update saga just before that step) must have as parent the commit HEAD moved from. An operator's own
 * commit leaves `commit: …` in the reflog; an operator's own merge or reset leaves no such backup ref.
 * The move's time is that reflog entry's.
 */
import type { SimpleGit } from 'simple-git';
import { WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { taskSearchAttributes } from '../contract/search-attributes.js';
import { COMMITS_BACK_MAX } from '../contract/params.js';
import { handlerWorkflowId, taskQueueOf } from '../contract/ids.js';
import type { HandlerResult } from '../contract/handlers.js';
import type { Flag } from '../flags/index.js';
import { activityHooks } from './context.js';
import { checkedRepo, head, lastCommits, messageOf } from './git-repo.js';
import type { ResolvedDeps } from './types.js';

/** The handler's name is its workflow type; started by name, as activities load no workflow code. */
const ROLLBACK_HANDLER = 'rollback_code';

export type LastKnownGoodPlan =
  | {
      rollback: true;
      lastKnownGood: string;
      head: string;
      commitsBack: number;
      /** The commits rollback_code will revert, newest first. */
      commits: { sha: string; subject: string }[];
      /** The update task whose backup ref proves the move. */
      updateTask: string;
      movedAt: string;
    }
  | { rollback: false; reason: string; lastKnownGood: string; head: string | null };

export interface LastKnownGoodPlanInput {
  lastKnownGood: string;
  afterUpdateMs: number;
}

export interface StartRollbackInput {
  lastKnownGood: string;
  head: string;
  commitsBack: number;
  /** false: the run waits for an approval (`require_approval: true`). */
  autoRollback: boolean;
}

export interface StartRollbackResult {
  workflowId: string;
  taskId: string;
  /** False: a run of this id already existed (a second crash loop on the same head): not started twice. */
  started: boolean;
}

export type RollbackWait =
  | { done: false }
  | { done: true; success: boolean; status: string; error: string | null; details: Record<string, unknown> };

/** The derived, repeatable task id: one rollback per bad head. */
export const lastKnownGoodTaskId = (headSha: string): string => `lkg_${headSha.slice(0, 12)}`;

/** git-plan.ts advanceTo's reflog messages (`merge --ff-only <sha>`, `reset --hard <sha>`), SHA-1 or SHA-256. */
const ADVANCE = /^(?:merge ([0-9a-f]{40}|[0-9a-f]{64}): Fast-forward|reset: moving to ([0-9a-f]{40}|[0-9a-f]{64}))$/;

interface ReflogEntry {
  sha: string;
  message: string;
  atMs: number;
}

async function reflog(git: SimpleGit, n: number): Promise<ReflogEntry[]> {
  const out = await git.raw(['reflog', 'show', `-n${n}`, '--format=%H%x1f%gs%x1f%gd', '--date=unix', 'HEAD', '--']);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [sha = '', message = '', selector = ''] = line.split('\x1f');
      const seconds = Number(/@\{(\d+)\}$/.exec(selector)?.[1] ?? Number.NaN);
      return { sha, message, atMs: seconds * 1000 };
    });
}

/** The task of a supervisor backup ref whose saved commit sits on `base`: the update that started there. */
async function backupOn(git: SimpleGit, base: string): Promise<string | undefined> {
  const out = await git.raw(['for-each-ref', '--format=%(refname) %(parent)', 'refs/supervisor/backup/']);
  for (const line of out.split('\n')) {
    // A backup commit has one parent: the HEAD its update started from.
    const [ref = '', parent = ''] = line.trim().split(' ');
    if (ref !== '' && parent === base) return ref.slice('refs/supervisor/backup/'.length);
  }
  return undefined;
}

async function isAncestor(git: SimpleGit, older: string, newer: string): Promise<boolean> {
  return git.raw(['merge-base', '--is-ancestor', older, newer]).then(
    () => true,
    () => false,
  );
}

export function lastKnownGoodActivities(deps: ResolvedDeps) {
  const { config, logger } = deps;

  /** HEAD of repo.dir, or null when none is configured or it is not a checkout: then nothing is recorded. */
  async function lastKnownGoodHead(): Promise<{ commit: string | null }> {
    if (config.repo.dir === undefined) return { commit: null };
    try {
      return { commit: await head(await checkedRepo(config, activityHooks().signal)) };
    } catch (error) {
      logger.debug({ error: messageOf(error) }, 'no commit recorded as last known good');
      return { commit: null };
    }
  }

  /** Whether the crash loop follows an update away from the last known good commit, and what to revert. */
  async function lastKnownGoodPlan(input: LastKnownGoodPlanInput): Promise<LastKnownGoodPlan> {
    const lkg = input.lastKnownGood;
    const no = (reason: string, current: string | null = null): LastKnownGoodPlan => ({
      rollback: false,
      reason,
      lastKnownGood: lkg,
      head: current,
    });
    let git: SimpleGit;
    let current: string;
    try {
      git = await checkedRepo(config, activityHooks().signal);
      current = await head(git);
    } catch (error) {
      return no(`no repository to roll back: ${messageOf(error)}`);
    }
    if (current === lkg) return no('HEAD is the last known good commit: the crash loop is not the code', current);
    if (!(await isAncestor(git, lkg, current)))
      return no(`the last known good ${lkg} is not an ancestor of HEAD: reverting cannot get back to it`, current);
    const between = (await git.raw(['rev-list', '--first-parent', `${lkg}..${current}`, '--']))
      .split('\n')
      .filter((sha) => sha !== '');
    const merges = (await git.raw(['rev-list', '--merges', `${lkg}..${current}`, '--'])).trim();
    if (merges !== '')
      return no(`a merge lies between the last known good commit and HEAD (${merges.split('\n')[0]})`, current);
    if (between.length > COMMITS_BACK_MAX)
      return no(`${between.length} commits since the last known good one (more than ${COMMITS_BACK_MAX})`, current);
    const [moved, previous] = await reflog(git, 2);
    const advanced = moved === undefined ? null : ADVANCE.exec(moved.message);
    const target = advanced === null ? undefined : (advanced[1] ?? advanced[2]);
    if (moved === undefined || moved.sha !== current || target !== current || previous === undefined)
      return no(
        `HEAD was last moved by "${moved?.message ?? 'nothing'}", not by the supervisor's update step`,
        current,
      );
    const updateTask = await backupOn(git, previous.sha);
    if (updateTask === undefined)
      return no(`no supervisor backup ref on ${previous.sha}: HEAD was moved by hand, not by an update`, current);
    const age = deps.now().getTime() - moved.atMs;
    if (!(age <= input.afterUpdateMs))
      return no(
        `the update (${updateTask}) moved HEAD ${Math.round(age / 1000)} s ago, more than ${Math.round(input.afterUpdateMs / 1000)} s`,
        current,
      );
    // rollback_code reverts the newest N commits of `git log HEAD`: on a straight history exactly `between`.
    const listed = await lastCommits(git, between.length);
    if (listed.some((commit, i) => commit.sha !== between[i]))
      return no('the commits rollback_code would revert are not those since the last known good one', current);
    return {
      rollback: true,
      lastKnownGood: lkg,
      head: current,
      commitsBack: between.length,
      commits: listed.map(({ sha, subject }) => ({ sha, subject })),
      updateTask,
      movedAt: new Date(moved.atMs).toISOString(),
    };
  }

  function client() {
    if (deps.client === undefined) throw new Error('no Temporal client was given to the activities: no rollback');
    return deps.client;
  }

  /** Starts rollback_code as the ingest would start a flag's; an existing run of the same id counts as started. */
  async function startLastKnownGoodRollback(input: StartRollbackInput): Promise<StartRollbackResult> {
    const taskId = lastKnownGoodTaskId(input.head);
    const workflowId = handlerWorkflowId(config.worker_id, taskId);
    const label = `last known good ${input.lastKnownGood.slice(0, 7)}`;
    const flag: Flag = {
      task_id: taskId,
      handler: ROLLBACK_HANDLER,
      label,
      params: { commits_back: input.commitsBack },
      requested_by: 'supervisor',
      require_approval: !input.autoRollback,
    };
    try {
      await client().workflow.start(ROLLBACK_HANDLER, {
        workflowId,
        taskQueue: taskQueueOf(config),
        args: [flag],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: taskSearchAttributes(config.worker_id, ROLLBACK_HANDLER, label),
        memo: { origin: 'last_known_good', last_known_good: input.lastKnownGood, head: input.head },
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      logger.info({ workflowId }, 'last-known-good rollback already started for this head');
      return { workflowId, taskId, started: false };
    }
    logger.warn({ workflowId, ...input }, 'last-known-good rollback started');
    return { workflowId, taskId, started: true };
  }

  /**
   * Waits up to maxWaitMs for the rollback run to close, heartbeating (a cancellation, the reset signal's,
   * ends it at once). `done: false`: still running, ask again.
   */
  async function awaitLastKnownGoodRollback(input: {
    workflowId: string;
    maxWaitMs: number;
    pollMs: number;
  }): Promise<RollbackWait> {
    const hooks = activityHooks();
    const handle = client().workflow.getHandle(input.workflowId);
    const deadline = Date.now() + input.maxWaitMs;
    for (;;) {
      let status: string;
      try {
        status = (await handle.describe()).status.name;
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        return { done: true, success: false, status: 'NOT_FOUND', error: 'the rollback run is gone', details: {} };
      }
      if (status !== 'RUNNING') {
        try {
          const result = (await handle.result()) as HandlerResult;
          return {
            done: true,
            success: result.success,
            status,
            error: result.error ?? null,
            details: result.details,
          };
        } catch (error) {
          return { done: true, success: false, status, error: messageOf(error), details: {} };
        }
      }
      if (Date.now() >= deadline) return { done: false };
      hooks.heartbeat(status);
      await hooks.sleep(input.pollMs);
    }
  }

  return { lastKnownGoodHead, lastKnownGoodPlan, startLastKnownGoodRollback, awaitLastKnownGoodRollback };
}

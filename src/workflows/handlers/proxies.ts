/**
 * Activity proxies with their timeouts and retry policies, in one place so every handler treats the
 * outside world alike. Timeouts that depend on configuration are built from WorkerSettings.
 */
import { ActivityCancellationType, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { WorkerSettings } from '../../contract/handlers.js';
import { QUICK, RETRY } from '../retry.js';

/** Files, pause flag, audit, settings: each a few file operations. */
export const io = proxyActivities<Activities>(QUICK);

/** SPEC: git commands time out after 30 s each; an activity runs a few (fetch, then log; save, then clean). */
const GIT = { startToCloseTimeout: '2m', retry: RETRY } as const;
type GitActivities = Pick<
  Activities,
  'currentCommit' | 'planUpdate' | 'planRollback' | 'backupWorkTree' | 'restoreWorkTree' | 'advanceTo'
>;
export const git = proxyActivities<GitActivities>(GIT);

/** An approval's look at the live state: update_code's fetches from the remote, so git's timeout. */
export const approvalLook = proxyActivities<Pick<Activities, 'approvalSnapshot'>>(GIT);

/**
 * One revert (a few local git commands, no network): a worker that died in the middle is noticed only
 * when this runs out, so it stays short; the retry recognises a revert the dead worker finished.
 */
const REVERT = { startToCloseTimeout: '45s', retry: RETRY } as const;
export const revert = proxyActivities<Pick<Activities, 'revertCommit'>>(REVERT);

/** SPEC: database queries 10 s, connect 10 s; verify_db runs several in a row. */
export const db = proxyActivities<Pick<Activities, 'verifyDb' | 'runDiagnostics'>>({
  startToCloseTimeout: '2m',
  retry: RETRY,
});

const MARGIN_MS = 15_000;

/** Watcher start/stop: the stop may take the whole graceful window plus the SIGKILL wait; it heartbeats. */
export function watcherActivities(settings: WorkerSettings, cancellationType?: ActivityCancellationType) {
  const stop = proxyActivities<Pick<Activities, 'stopWatcher'>>({
    startToCloseTimeout: settings.stopTimeoutMs + settings.killWaitMs + MARGIN_MS,
    heartbeatTimeout: '10s',
    retry: RETRY,
    cancellationType,
  });
  const rest = proxyActivities<Pick<Activities, 'startWatcher' | 'watcherStatus'>>({
    startToCloseTimeout: '1m',
    heartbeatTimeout: '20s',
    retry: RETRY,
    cancellationType,
  });
  return { stopWatcher: stop.stopWatcher, startWatcher: rest.startWatcher, watcherStatus: rest.watcherStatus };
}

/**
 * The dependency install runs up to its configured timeout; it heartbeats every few seconds. The SDK sends
 * a heartbeat at most every 0.8 × heartbeatTimeout, and a cancel reaches the activity only in a heartbeat's
 * answer: 20 s lets a cancelled install stop within about 16 s (with 1 min it ran on for 45 s).
 */
function depsActivities(settings: WorkerSettings, cancellationType: ActivityCancellationType) {
  return proxyActivities<Pick<Activities, 'installDependencies'>>({
    startToCloseTimeout: settings.depsTimeoutMs + MARGIN_MS,
    heartbeatTimeout: '20s',
    retry: RETRY,
    cancellationType,
  });
}

/** The patch of issue 13: a cancelled code change waits for its step in flight, and a rollback puts the code back. */
export const CODE_CHANGE_CANCEL = 'code-change-cancel';

/**
 * The activities of a handler that changes the code (update_code, update_code_deps, rollback_code).
 * Cancelled, it waits for the step in flight to end before its compensation runs, so the undo never races
 * the step it undoes: a git step (which does not heartbeat, so never hears of the cancel) runs to its end, a
 * heartbeating stop or install is cancelled and waited for. Without it the SDK's default (TRY_CANCEL) reports
 * the cancel at once and the undo ran while the install or a revert was still going. `waits` is false when
 * replaying a run started before the patch.
 */
export function codeChangeActivities(settings: WorkerSettings) {
  const waits = patched(CODE_CHANGE_CANCEL);
  const cancellationType = waits
    ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
    : ActivityCancellationType.TRY_CANCEL;
  return {
    waits,
    git: waits ? proxyActivities<GitActivities>({ ...GIT, cancellationType }) : git,
    revert: waits ? proxyActivities<Pick<Activities, 'revertCommit'>>({ ...REVERT, cancellationType }) : revert,
    watcher: watcherActivities(settings, cancellationType),
    deps: depsActivities(settings, cancellationType),
  };
}

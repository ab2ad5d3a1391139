/**
 * Activity proxies with their timeouts and retry policies, in one place so every handler treats the
 * outside world alike. Timeouts that depend on configuration are built from WorkerSettings.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { WorkerSettings } from '../../contract/handlers.js';
import { QUICK, RETRY } from '../retry.js';

/** Files, pause flag, audit, settings: each a few file operations. */
export const io = proxyActivities<Activities>(QUICK);

/** SPEC: git commands time out after 30 s each; an activity runs a few (fetch, then log; save, then clean). */
export const git = proxyActivities<
  Pick<Activities, 'currentCommit' | 'planUpdate' | 'planRollback' | 'backupWorkTree' | 'restoreWorkTree' | 'advanceTo'>
>({
  startToCloseTimeout: '2m',
  retry: RETRY,
});

/**
 * One revert (a few local git commands, no network): a worker that died in the middle is noticed only
 * when this runs out, so it stays short; the retry recognises a revert the dead worker finished.
 */
export const revert = proxyActivities<Pick<Activities, 'revertCommit'>>({ startToCloseTimeout: '45s', retry: RETRY });

/** SPEC: database queries 10 s, connect 10 s; verify_db runs several in a row. */
export const db = proxyActivities<Pick<Activities, 'verifyDb' | 'runDiagnostics'>>({
  startToCloseTimeout: '2m',
  retry: RETRY,
});

const MARGIN_MS = 15_000;

/** Watcher start/stop: the stop may take the whole graceful window plus the SIGKILL wait; it heartbeats. */
export function watcherActivities(settings: WorkerSettings) {
  const stop = proxyActivities<Pick<Activities, 'stopWatcher'>>({
    startToCloseTimeout: settings.stopTimeoutMs + settings.killWaitMs + MARGIN_MS,
    heartbeatTimeout: '10s',
    retry: RETRY,
  });
  const rest = proxyActivities<Pick<Activities, 'startWatcher' | 'watcherStatus'>>({
    startToCloseTimeout: '1m',
    heartbeatTimeout: '20s',
    retry: RETRY,
  });
  return { stopWatcher: stop.stopWatcher, startWatcher: rest.startWatcher, watcherStatus: rest.watcherStatus };
}

/** The dependency install runs up to its configured timeout; it heartbeats every few seconds. */
export function depsActivities(settings: WorkerSettings) {
  return proxyActivities<Pick<Activities, 'installDependencies'>>({
    startToCloseTimeout: settings.depsTimeoutMs + MARGIN_MS,
    heartbeatTimeout: '1m',
    retry: RETRY,
  });
}

import { dbActivities } from './db.js';
import { depsActivities } from './deps.js';
import { diagnosticsActivities } from './diagnostics.js';
import { fileActivities } from './files.js';
import { gitActivities } from './git.js';
import { healthActivities } from './health.js';
import { heartbeatActivities } from './heartbeat.js';
import { lockActivities } from './lock.js';
import { processActivities } from './process.js';
import type { ActivityDeps } from './types.js';
import { resolveDeps } from './types.js';
import { watchActivities } from './watch.js';

/**
 * Every activity of the supervisor, closed over its dependencies. Workflows use
 * `proxyActivities<Activities>()`; test fakes implement the same type.
 */
export function createActivities(input: ActivityDeps) {
  const deps = resolveDeps(input);
  const processes = processActivities(deps);
  const diagnostics = diagnosticsActivities(deps, processes.watcherStatus);
  const watch = watchActivities(deps);
  return {
    ...processes,
    ...gitActivities(deps),
    ...depsActivities(deps),
    ...fileActivities(deps),
    ...dbActivities(deps),
    ...heartbeatActivities(deps),
    ...lockActivities(deps),
    ...diagnostics,
    ...watch,
    ...healthActivities(deps, { watcherStatus: processes.watcherStatus, watcherHeartbeat: diagnostics.watcherHeartbeat, observeWatcher: watch.observeWatcher }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

export type { ActivityDeps, ActivityTiming, LockTuning } from './types.js';
export { DEFAULT_LOCK_TUNING, DEFAULT_TIMING } from './types.js';
export type { StartWatcherResult, StopWatcherResult, WatcherStatus } from './process.js';
export type { AdvanceResult, BackupResult, CommitInfo, RestoreResult, RevertResult, RollbackPlan, UpdatePlan } from './git.js';
export type { DepsInstallResult } from './deps.js';
export type { AuditInput, PauseFlag, PauseInput } from './files.js';
export type { DbVerificationReport, VerifyDbResult } from './db.js';
export type { DiagnosticsResult, HeartbeatReport } from './diagnostics.js';
export type { SupervisorHeartbeat } from './heartbeat.js';
export type { HealthObservation } from './health.js';
export type { WatchResult } from './watch.js';
export type { PermanentFailureType } from './errors.js';
export { GitCommandFailed, GitConflict, GitDirtyWorkTree, GitInvalidCommit, GitNotEnoughCommits, GitNotFastForward, InvalidArgument, PermanentFailure, RepoNotConfigured } from './errors.js';

import { approvalActivities } from './approvals.js';
import { dbActivities } from './db.js';
import { depsActivities } from './deps.js';
import { diagnosticsActivities } from './diagnostics.js';
import { fileActivities } from './files.js';
import { gitActivities } from './git.js';
import { healthActivities } from './health.js';
import { lastKnownGoodActivities } from './last-known-good.js';
import { processActivities } from './process.js';
import { restartActivities } from './restart.js';
import { settingsActivities } from './settings.js';
import { temporalActivities } from './temporal.js';
import type { ActivityDeps } from './types.js';
import { resolveDeps } from './types.js';
import { watchActivities } from './watch.js';
import { watcherLook } from './watcher-look.js';

/**
 * Every activity of the supervisor, closed over its dependencies. Workflows use
 * `proxyActivities<Activities>()`; test fakes implement the same type. The names are activity types
 * in saved histories: never rename one.
 */
export function createActivities(input: ActivityDeps) {
  const deps = resolveDeps(input);
  const look = watcherLook(deps);
  const processes = processActivities(deps, look);
  const diagnostics = diagnosticsActivities(deps, look);
  const watch = watchActivities(deps);
  const temporal = temporalActivities(deps);
  const git = gitActivities(deps);
  return {
    ...processes,
    watcherStatus: look.watcherStatus,
    watcherHeartbeat: look.watcherHeartbeat,
    ...git,
    ...approvalActivities(deps, { ...git, observeWatcher: watch.observeWatcher }),
    ...depsActivities(deps),
    ...fileActivities(deps),
    ...dbActivities(deps),
    ...settingsActivities(deps),
    ...temporal.activities,
    ...diagnostics,
    ...watch,
    ...restartActivities(deps, { observeWatcher: watch.observeWatcher, startWatcher: processes.startWatcher }),
    ...lastKnownGoodActivities(deps),
    ...healthActivities(deps, {
      watcherStatus: look.watcherStatus,
      watcherHeartbeat: look.watcherHeartbeat,
      observeWatcher: watch.observeWatcher,
      keepAliveState: temporal.keepAliveState,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

export type { ActivityDeps, ActivityTiming } from './types.js';
export { DEFAULT_TIMING } from './types.js';
export type { StartWatcherResult, StopWatcherResult } from './process.js';
export type { WatcherHeartbeatReport, WatcherStatus } from './watcher-look.js';
export type {
  AdvanceResult,
  BackupResult,
  CommitInfo,
  RestoreResult,
  RevertResult,
  RollbackPlan,
  UpdatePlan,
} from './git.js';
export type { DepsInstallResult } from './deps.js';
export type { AuditInput, PauseFlag, PauseInput } from './files.js';
export type { DbVerificationReport, VerifyDbResult } from './db.js';
export type { DiagnosticsResult } from './diagnostics.js';
export type { HealthObservation, SupervisorHeartbeatFile } from './health.js';
export type { WatchResult } from './watch.js';
export type { RestartIfDownResult } from './restart.js';
export type { LastKnownGoodPlan, RollbackWait, StartRollbackResult } from './last-known-good.js';
export type { SnapshotInput, SupersedeInput } from './approvals.js';
export {
  GitCommandFailed,
  GitConflict,
  GitDirtyWorkTree,
  GitInvalidCommit,
  GitNotEnoughCommits,
  GitNotFastForward,
  InvalidArgument,
  PermanentFailure,
  RepoNotConfigured,
} from './errors.js';

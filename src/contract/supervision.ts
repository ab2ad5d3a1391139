/**
 * The keep-alive `keepalive/<workerId>` and the scheduled health check `health/<workerId>`: workflow
 * types, inputs, tuning (with its defaults), state, the reset signal and the state query. Shared by the
 * workflows (src/workflows/supervision/), their activities, the client-side set-up (src/supervision/),
 * the CLI and tests.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { MAX_HISTORY_EVENTS } from './lock.js';

export const KEEPALIVE_WORKFLOW_TYPE = 'supervisor_keepalive';
export const HEALTH_WORKFLOW_TYPE = 'health_check';

/** The lock ranks requests by priority, lower first: the keep-alive yields to every handler. */
export const KEEPALIVE_LOCK_PRIORITY = 100;
/** The keep-alive's name in lock requests and audit rows. */
export const KEEPALIVE_LOCK_HANDLER = 'keepalive';

/**
 * What one look at the watcher found; `down` and `hung` call for a restart, `changed` (running, but not
 * the configured command line) for a replacement, the rest only for watching.
 */
export type WatcherObservation = 'running' | 'paused' | 'down' | 'hung' | 'changed';

export const KEEPALIVE_STATES = [
  'starting',
  'running',
  'stopped',
  'paused',
  'failed',
  'held',
  'restarting',
  'backoff',
] as const;
export type KeepAliveStateName = (typeof KEEPALIVE_STATES)[number];

export interface KeepAliveTuning {
  workerId: string;
  hangTimeoutMs: number;
  maxRestarts: number;
  windowMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** A watcher that ran this long before dying starts the backoff from the beginning again. */
  backoffResetAfterMs: number;
  /**
   * How often the watch activity looks at the process and its heartbeat file. A death of the watcher this worker
   * started wakes the watch at once; the poll finds hangs, pause flags and deaths of an adopted watcher.
   */
  pollMs: number;
  /** Short, so a dead host's watch activity times out and is retried on a live worker. */
  watchHeartbeatTimeoutMs: number;
  /** The watch activity returns after this long even when nothing happened (so the loop can continue-as-new). */
  maxWatchMs: number;
  stopTimeoutMs: number;
  killWaitMs: number;
  /** Continue-as-new past this many history events (the server's suggestion also counts). */
  maxHistoryEvents: number;
  /** `approvals.last_known_good` and `approvals.auto_rollback`; absent from inputs of older keep-alives (off). */
  lastKnownGood?: LastKnownGoodTuning;
}

/** The crash-loop rollback to the last commit the watcher ran healthy on (issue 14). */
export interface LastKnownGoodTuning {
  enabled: boolean;
  /** The budget must be spent within this long after the update_code / update_code_deps that moved HEAD. */
  afterUpdateMs: number;
  /** A watcher start that ran this long with a fresh heartbeat makes its commit the last known good one. */
  healthyAfterMs: number;
  /** Run the rollback at once instead of opening an approval for it. */
  autoRollback: boolean;
}

/** The commit the watcher last ran healthy on, and the start (pid file `started_at`) that proved it. */
export interface LastKnownGood {
  commit: string;
  /** Workflow time (ms) it was recorded. */
  at: number;
  watcherStartedAt: string;
}

/** The rollback_code run the keep-alive started after a crash loop, while it waits for its end. */
export interface PendingRollback {
  workflowId: string;
  taskId: string;
  lastKnownGood: string;
  head: string;
  commitsBack: number;
}

/** The tuning the configuration does not set; tests override them with shorter values. */
export const KEEPALIVE_DEFAULTS: Pick<
  KeepAliveTuning,
  'pollMs' | 'watchHeartbeatTimeoutMs' | 'maxWatchMs' | 'killWaitMs' | 'maxHistoryEvents'
> = {
  // Deaths come as news; 500 ms still finds a hang within hang_timeout + 1 s, at half the idle wake-ups of 250 ms.
  pollMs: 500,
  watchHeartbeatTimeoutMs: 10_000,
  maxWatchMs: 10 * 60_000,
  killWaitMs: 5_000,
  maxHistoryEvents: MAX_HISTORY_EVENTS,
};

/** The counters that must survive a supervisor restart; carried across continue-as-new. */
export interface KeepAliveCounters {
  /** Workflow time (ms) of each restart still inside the budget window. */
  restartTimes: number[];
  /** Restarts since the watcher last stayed up for backoffResetAfterMs: the backoff exponent. */
  consecutive: number;
  lastRestartAt: number | null;
  failed: { at: number; reason: string } | null;
  total: number;
  /** Absent from counters of older keep-alives. */
  lastKnownGood?: LastKnownGood | null;
  /** Set while the last-known-good rollback runs; the keep-alive stays `failed` until it ends. */
  rollback?: PendingRollback | null;
}

export interface KeepAliveInput {
  tuning: KeepAliveTuning;
  counters?: KeepAliveCounters;
}

export interface KeepAliveState {
  state: KeepAliveStateName;
  restartsInWindow: number;
  totalRestarts: number;
  lastRestartAt: string | null;
  /** The wait before the next restart, when one is coming. */
  backoffMs: number;
  failedReason: string | null;
  lastObservation: WatcherObservation | null;
  /** Absent from older keep-alives' answers. */
  lastKnownGood?: { commit: string; at: string } | null;
  /** The last-known-good rollback being waited for. */
  rollback?: PendingRollback | null;
}

/** The keep-alive's signature, for typed starts from code that must not import workflows. */
export type KeepAliveWorkflow = (input: KeepAliveInput) => Promise<void>;

/**
 * Operator → keep-alive: forget the restart budget and the backoff, leave `failed`. Sent by
 * resume_watcher and restart_watcher (and tests); the reason ends up in the log.
 */
export const keepAliveResetSignal = defineSignal<[{ reason: string }]>('keepalive_reset');
export const keepAliveStateQuery = defineQuery<KeepAliveState>('keepalive_state');

/** Input of each scheduled health run. */
export interface HealthInput {
  workerId: string;
}

/** What one health run returns (its history's result; the heartbeat file holds the rest). */
export interface HealthRunResult {
  success: boolean;
  watcher_state: string;
  actions_taken: string[];
  errors: string[];
}

export type HealthCheckWorkflow = (input: HealthInput) => Promise<HealthRunResult>;

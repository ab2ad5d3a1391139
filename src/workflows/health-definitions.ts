/**
 * Shared by the keep-alive and health workflows, their activities, the CLI and tests: ids, the
 * keep-alive's tuning and state, its reset signal and state query. Plain constants and definitions only.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const KEEPALIVE_WORKFLOW_TYPE = 'supervisor_keepalive';
export const HEALTH_WORKFLOW_TYPE = 'health_check';

/** STYLE rule 6: derived ids. */
export const keepAliveWorkflowId = (workerId: string): string => `keepalive/${workerId}`;
export const healthScheduleId = (workerId: string): string => `health/${workerId}`;

/** The lock ranks requests by priority, lower first: the keep-alive yields to every handler. */
export const KEEPALIVE_LOCK_PRIORITY = 100;
export const KEEPALIVE_LOCK_HANDLER = 'keepalive';

/**
 * What one look at the watcher found; `down` and `hung` call for a restart, `changed` (running, but not
 * the configured command line) for a replacement, the rest only for watching.
 */
export type WatcherObservation = 'running' | 'paused' | 'down' | 'hung' | 'changed';

export type KeepAliveStateName = 'starting' | 'running' | 'stopped' | 'paused' | 'failed' | 'held' | 'restarting' | 'backoff';

export interface KeepAliveTuning {
  workerId: string;
  hangTimeoutMs: number;
  maxRestarts: number;
  windowMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** A watcher that ran this long before dying starts the backoff from the beginning again. */
  backoffResetAfterMs: number;
  /** How often the watch activity looks at the process and its heartbeat file. */
  pollMs: number;
  /** Short, so a dead host's watch activity times out and is retried on a live worker. */
  watchHeartbeatTimeoutMs: number;
  /** The watch activity returns after this long even when nothing happened (so the loop can continue-as-new). */
  maxWatchMs: number;
  stopTimeoutMs: number;
  killWaitMs: number;
  /** Continue-as-new past this many history events (the server's suggestion also counts). */
  maxHistoryEvents: number;
}

/** The counters that must survive a supervisor restart; carried across continue-as-new. */
export interface KeepAliveCounters {
  /** Workflow time (ms) of each restart still inside the budget window. */
  restartTimes: number[];
  /** Restarts since the watcher last stayed up for backoffResetAfterMs: the backoff exponent. */
  consecutive: number;
  lastRestartAt: number | null;
  failed: { at: number; reason: string } | null;
  total: number;
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
}

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

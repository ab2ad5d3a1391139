/**
 * What workflows, activities, the CLI and tests share: result and lock types, signals, queries and
 * derived ids. Plain constants and `@temporalio/workflow` definitions only (safe in the sandbox and in Node).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Flag } from '../flags/schema.js';

/** The flag body a handler workflow is started with (already validated by the ingest or CLI). */
export type HandlerInput = Flag;

/** What every handler returns, writes to `Worker_Outbox/<workerId>/<task_id>.result.json` and audits. */
export interface HandlerResult {
  success: boolean;
  error?: string;
  details: Record<string, unknown>;
}

/** The file written to the outbox: the result plus who, what and when. */
export interface ResultFile extends HandlerResult {
  task_id: string;
  handler: string;
  label: string | null;
  worker_id: string;
  requested_by: string | null;
  started_at: string;
  finished_at: string;
}

/** Settings the workflows need from the worker's configuration, read once per run through an activity. */
export interface WorkerSettings {
  workerId: string;
  /** Graceful stop window of the watcher before SIGKILL. */
  stopTimeoutMs: number;
  /** How long SIGKILLed processes may take to disappear. */
  killWaitMs: number;
  depsTimeoutMs: number;
}

/** SPEC: restart_watcher waits this long between stop and start. */
export const RESTART_PAUSE_MS = 2_000;

/** Workflow type of the per-worker lock; one instance per worker under `lockWorkflowId`. */
export const LOCK_WORKFLOW_TYPE = 'supervisor_lock';

/** STYLE rule 6: derived ids. */
export function lockWorkflowId(workerId: string): string {
  return `lock/${workerId}`;
}

export function handlerWorkflowId(workerId: string, taskId: string): string {
  return `${workerId}/${taskId}`;
}

/** One waiting or granted request; a requester is one run of a handler workflow. */
export interface LockRequest {
  workflowId: string;
  runId: string;
  handler: string;
  /** Lower is more urgent (flags/handlers.ts priorityOf). */
  priority: number;
  /** The requester's start time (ms since epoch): ties in priority go to the older request. */
  requestedAt: number;
}

export interface LockTuningInput {
  gatherMs: number;
  holderCheckMs: number;
  /** Continue-as-new when the history grows past this many events (the server's suggestion also counts). */
  maxHistoryEvents?: number;
}

/** The lock's whole state: carried across continue-as-new, returned by the state query. */
export interface LockState {
  holder: LockRequest | null;
  queue: LockRequest[];
  tuning: LockTuningInput;
}

export interface LockRelease {
  workflowId: string;
  runId: string;
}

/** Requester → lock: enqueue me (idempotent per run). Sent with signal-with-start by the requestLock activity. */
export const lockRequestSignal = defineSignal<[LockRequest]>('lock_request');
/** Requester → lock: I am done, or I withdraw while still waiting. */
export const lockReleaseSignal = defineSignal<[LockRelease]>('lock_release');
/** Lock → requester: you hold the lock now. */
export const lockGrantedSignal = defineSignal<[{ lockWorkflowId: string }]>('lock_granted');
export const lockStateQuery = defineQuery<LockState>('lock_state');

/** A handler's progress, for `supervisor tasks` and tests: `waiting-for-lock`, `running`, `done`. */
export const handlerPhaseQuery = defineQuery<string>('handler_phase');

/** Activity failure types no retry can fix; workflows also list them so a plain error of that type stays final. */
export const NON_RETRYABLE_TYPES = [
  'GitConflict',
  'GitNotFastForward',
  'GitDirtyWorkTree',
  'GitInvalidCommit',
  'GitCommandFailed',
  'WatcherStartFailed',
  'WatcherStopFailed',
  'DepsInstallFailed',
  'GitNotEnoughCommits',
  'RepoNotConfigured',
  'InvalidArgument',
  'NoDatabaseConfigured',
];

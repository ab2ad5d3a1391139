/**
 * What a handler workflow takes and gives back, shared by the workflows, the activities that write the
 * result, the ingest, the CLI and tests. The result (docs/results.md) is the product's main output: it
 * goes to `Worker_Outbox/<workerId>/<task_id>.result.json` and, with the error folded into the details,
 * to the audit. Plain types and `@temporalio/workflow` definitions only.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Handler } from '../flags/handlers.js';
import type { ApprovalSettings } from './approvals.js';
import type { Flag } from '../flags/schema.js';

/** The flag body a handler workflow is started with (validated again by the workflow itself). */
export type HandlerInput = Flag;
/** One handler's input, e.g. rollback_code's with `params.commits_back`. */
export type HandlerInputOf<H extends Handler> = Extract<Flag, { handler: H }>;

/** Settings the workflows need from the worker's configuration, read once per run through an activity. */
export interface WorkerSettings {
  workerId: string;
  /** Graceful stop window of the watcher before SIGKILL. */
  stopTimeoutMs: number;
  /** How long SIGKILLed processes may take to disappear. */
  killWaitMs: number;
  depsTimeoutMs: number;
  /** Absent in runs recorded before approvals existed: those need none. */
  approvals?: ApprovalSettings;
}

/** A handler's progress, for `supervisor tasks` and tests: `waiting-for-lock`, `running`, `done`. */
export const handlerPhaseQuery = defineQuery<string>('handler_phase');

/**
 * Who cancels a task and why: Temporal's cancel request carries no identity to the workflow, so
 * `supervisor cancel` signals this first and the handler names the canceller in its result and audit.
 */
export interface CancelRequest {
  by: string | null;
  reason: string | null;
}

export const cancelRequestedSignal = defineSignal<[CancelRequest]>('cancel_requested');

/** What every handler returns; `details` is typed per handler (HandlerDetails). */
export interface HandlerResult<D extends object = Record<string, unknown>> {
  success: boolean;
  error?: string;
  details: D;
}

/** The file written to the outbox: the result plus who, what and when. */
export interface ResultFile<D extends object = Record<string, unknown>> extends HandlerResult<D> {
  task_id: string;
  handler: string;
  label: string | null;
  worker_id: string;
  requested_by: string | null;
  started_at: string;
  finished_at: string;
}

/** How the watcher was stopped: gracefully, killed after the grace, or it was not running. */
export type StoppedBy = 'sigterm' | 'sigkill' | 'not-running';

/**
 * A run that failed outside the handler's own accounting (an activity that threw, the lock, a cancel):
 * the failure's type (e.g. GitConflict) and the failure's own details (e.g. `commit`, `files`).
 */
export interface FailureDetails {
  failure_type: string | null;
  [detail: string]: unknown;
}

/** A check that failed before the watcher was stopped: nothing was touched, and the details say so. */
export interface RefusedDetails extends FailureDetails {
  watcher_stopped: false;
}

export interface PauseWatcherDetails {
  pause_flag_created: boolean;
  paused_by: string;
  was_running: boolean;
  stopped_by: StoppedBy;
  pids: number[];
}

export interface RestartWatcherDetails {
  was_running: boolean;
  stopped_by: StoppedBy;
  old_pids: number[];
  pid: number;
}

export interface ResumeWatcherDetails {
  pause_flag_removed: boolean;
  already_running: boolean;
  pid: number | null;
  running: boolean;
}

/** The headline figures of a diagnostics report. */
export interface DiagnosticsSummary {
  watcher_running: boolean;
  heartbeat_healthy: boolean;
  database_ok: boolean;
  pending_flags: number | null;
}

export interface DiagnosticsDetails extends DiagnosticsSummary {
  report_path: string;
}

export interface VerifyDbDetails {
  report_path: string;
  connection_ok: boolean;
  server_now: string | null;
  database: string | null;
  tables: { table: string; ok: boolean; count: number | null }[];
  session_utc: boolean;
}

/** update_code and update_code_deps: the steps reached fill the optional fields, in this order. */
export interface UpdateCodeDetails {
  target_commit: string;
  mode: 'fast-forward' | 'replace-reverts';
  replaced_reverts: string[];
  paused: boolean;
  was_running?: boolean;
  stopped_by?: StoppedBy;
  recorded_commit?: string;
  backup_ref?: string;
  backup_commit?: string;
  saved_paths?: string[];
  head_after?: string;
  updated?: boolean;
  /** update_code_deps only. */
  deps_install?: { command: string; duration_ms: number; log_file: string };
  pid?: number;
  watcher_started?: boolean;
  /** Failure only: what the compensation did. */
  undo_ref?: string;
  compensated?: boolean;
  compensation_errors?: string[];
  final_commit?: string | null;
  failure_type?: string | null;
}

/** rollback_code once the watcher was stopped (success or not); `success` and `error` repeat the result's. */
export interface RollbackCodeDetails {
  commits_back: number;
  head_before: string;
  was_running?: boolean;
  stopped_by?: StoppedBy;
  backup_ref?: string;
  backup_commit?: string;
  saved_paths?: string[];
  failure_type?: string | null;
  pid?: number;
  watcher_started?: boolean;
  watcher_start_error?: string;
  final_commit?: string | null;
  /** Cancelled after the save: whether the recorded commit and work tree were put back. */
  restored?: boolean;
  /** What the tree held at the restore that the backup did not (see restoreWorkTree), saved here first. */
  undo_ref?: string | null;
  restore_error?: string;
  commits_reverted: number;
  reverted_commits: string[];
  already_reverted: string[];
  failed_commit: string | null;
  success: boolean;
  error: string | null;
}

/** rollback_code refused by its check: nothing reverted, the watcher not stopped. */
export interface RollbackRefusedDetails extends RefusedDetails {
  commits_back: number;
  commits_reverted: 0;
  reverted_commits: string[];
  success: false;
  error: string | undefined;
}

/** Every handler's details when its own work ran; any of them may instead carry FailureDetails. */
export interface HandlerDetails {
  pause_watcher: PauseWatcherDetails;
  resume_watcher: ResumeWatcherDetails;
  restart_watcher: RestartWatcherDetails;
  diagnostics: DiagnosticsDetails;
  verify_db: VerifyDbDetails;
  update_code: UpdateCodeDetails | RefusedDetails;
  update_code_deps: UpdateCodeDetails | RefusedDetails;
  rollback_code: RollbackCodeDetails | RollbackRefusedDetails;
}

/** What handler `H`'s workflow returns. */
export type HandlerResultOf<H extends Handler> = HandlerResult<HandlerDetails[H] | FailureDetails>;

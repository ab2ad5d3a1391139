/**
 * Every file the supervisor reads or writes under the NAS root and its work folders, one function
 * each, for the activities, the ingest and the CLI. The watcher's own log and heartbeat file are
 * configuration (`watcher.log_file`, `watcher.heartbeat_file`, defaulted in config/schema.ts).
 */
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { isTaskId } from '../contract/ids.js';
import { reportFileName } from './report-name.js';
import type { ReportKind } from './report-name.js';

type Where = Pick<Config, 'paths' | 'worker_id'>;

/** A task id names files: the callers check it at their door, this keeps a slip from naming another path. */
function fileSafe(taskId: string): string {
  if (!isTaskId(taskId)) throw new RangeError(`task id ${JSON.stringify(taskId.slice(0, 80))} is not valid`);
  return taskId;
}

// 00_STATE: what this worker's supervisor and its operators leave for each other.

/** `00_STATE/supervisor_pause_<workerId>.flag`: while it exists the watcher stays stopped (its body says who and why). */
export function pauseFlagPath(config: Where): string {
  return path.join(config.paths.state, `supervisor_pause_${config.worker_id}.flag`);
}

/** `00_STATE/supervisor_drain_<workerId>.flag`: while it exists, that worker's new flags stay in the inbox. */
export function drainFlagPath(stateDir: string, workerId: string): string {
  return path.join(stateDir, `supervisor_drain_${workerId}.flag`);
}

/** `00_STATE/watcher_<workerId>.pid`: which process is ours, and how to recognise it. */
export function pidFilePath(config: Where): string {
  return path.join(config.paths.state, `watcher_${config.worker_id}.pid`);
}

/** `00_STATE/supervisor_heartbeat_<workerId>.json`: the supervisor's heartbeat, written by every health run. */
export function supervisorHeartbeatPath(config: Where): string {
  return path.join(config.paths.state, `supervisor_heartbeat_${config.worker_id}.json`);
}

/** `00_STATE/ingest_ledger_<workerId>.jsonl`: every task id the ingest accepted for that worker. */
export function ledgerPath(stateDir: string, workerId: string): string {
  return path.join(stateDir, `ingest_ledger_${workerId}.jsonl`);
}

// Worker_Outbox: per worker like the workflow id `<workerId>/<task_id>`, so hosts on one share never collide.

/** `Worker_Outbox/<workerId>/<task_id>.result.json`: the handler's result (docs/results.md). */
export function resultFilePath(config: Where, taskId: string): string {
  return path.join(config.paths.outbox, config.worker_id, `${fileSafe(taskId)}.result.json`);
}

/** `Worker_Outbox/<workerId>/<task_id>.accepted.json` or `.duplicate.json`: the ingest's receipt. */
export function receiptPath(outbox: string, workerId: string, taskId: string, kind: 'accepted' | 'duplicate'): string {
  return path.join(outbox, workerId, `${taskId}.${kind}.json`);
}

/** `Worker_Outbox/<workerId>/<task_id>.approve.json` or `.reject.json`: an accepted approval flag's decision outcome. */
export function decisionReceiptPath(
  outbox: string,
  workerId: string,
  taskId: string,
  kind: 'approve' | 'reject',
): string {
  return path.join(outbox, workerId, `${fileSafe(taskId)}.${kind}.json`);
}

/** `Worker_Outbox/rejected/`: bad flags (their bytes untouched) and a `<name>.error.json` beside each. */
export function rejectedFolder(outbox: string): string {
  return path.join(outbox, 'rejected');
}

// 05_LOGS

/** `<logs>/task_<task_id>.log`: where a task's command output goes. */
export function taskLogPath(config: Pick<Config, 'paths'>, taskId: string): string {
  return path.join(config.paths.logs, `task_${fileSafe(taskId)}.log`);
}

/** `<logs>/audit.ndjson`: where audit records go when no database is configured. */
export function auditFileOf(logsDir: string): string {
  return path.join(logsDir, 'audit.ndjson');
}

/**
 * `<logs>/audit.pending.<workerId>.ndjson`: rows the database refused, until a drain moves them into it. One a
 * worker: the logs folder is on the NAS every host shares, and a drain renames the file it reads, which must
 * not race another host's appends.
 */
export function pendingAuditFileOf(logsDir: string, workerId: string): string {
  return path.join(logsDir, `audit.pending.${workerId}.ndjson`);
}

/** `<logs>/events.ndjson`: where every part of the supervisor appends its events. */
export function eventsFileOf(paths: { logs: string }): string {
  return path.join(paths.logs, 'events.ndjson');
}

/** `<diagnostics>/<kind>_<workerId>_<timestamp>[_<taskId>][_<label>].json`: a diagnostics or verify_db report. */
export function reportPath(
  config: Where,
  kind: ReportKind,
  at: Date,
  input: { taskId?: string | null; label?: string | null },
): string {
  return path.join(config.paths.diagnostics, reportFileName(kind, config.worker_id, at, input));
}

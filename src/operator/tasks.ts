/**
 * `supervisor tasks`: the handler runs Temporal's visibility knows (any server: embedded, temporal-cli, a
 * cluster), newest first, each with the flag it was started with and a one-line outcome read from its
 * history, so the listing needs no file of this host and shows other workers' tasks too. It filters on
 * the system attributes (WorkflowType, WorkflowId `<workerId>/`, ExecutionStatus, StartTime), not on the
 * ingest's WorkerId/Handler/TaskLabel: runs started with `temporal workflow start` (SPEC) carry none.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { HandlerResult } from '../contract/handlers.js';
import { HANDLERS } from '../flags/handlers.js';
import { formatDuration, formatTable } from './format.js';
import { storyOf, taskStatusOf } from './timeline.js';
import type { RunEnd, TaskStatus } from './timeline.js';

export type { TaskStatus } from './timeline.js';

export interface TaskQuery {
  /** null: every worker. */
  workerId: string | null;
  handler?: string;
  status?: TaskStatus;
  sinceMs?: number;
  limit: number;
  now?: number;
}

export interface TaskRow {
  task_id: string;
  worker_id: string;
  handler: string;
  label: string | null;
  requested_by: string | null;
  /** A completed run whose result says `success: false` is `failed`: the operator's sense of the word. */
  status: TaskStatus;
  started_at: string;
  closed_at: string | null;
  duration_ms: number;
  outcome: string;
  workflow_id: string;
  run_id: string;
}

const quote = (value: string): string => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** Visibility statuses a task status may come from (`failed` includes completed runs that report failure). */
const EXECUTION_STATUSES: Record<TaskStatus, string[]> = {
  running: ['Running'],
  awaiting_approval: ['Running'],
  completed: ['Completed'],
  rejected: ['Completed'],
  expired: ['Completed'],
  failed: ['Completed', 'Failed'],
  canceled: ['Canceled'],
  terminated: ['Terminated'],
  timed_out: ['TimedOut'],
};

/** The visibility query: handler workflow types, the worker by its workflow id prefix, and the filters. */
export function taskListQuery(query: TaskQuery): string {
  const types = query.handler === undefined ? [...HANDLERS] : [query.handler];
  const clauses = [`WorkflowType IN (${types.map(quote).join(', ')})`];
  if (query.workerId !== null) clauses.push(`WorkflowId STARTS_WITH ${quote(`${query.workerId}/`)}`);
  if (query.status !== undefined)
    clauses.push(`ExecutionStatus IN (${EXECUTION_STATUSES[query.status].map(quote).join(', ')})`);
  if (query.sinceMs !== undefined)
    clauses.push(`StartTime >= ${quote(new Date((query.now ?? Date.now()) - query.sinceMs).toISOString())}`);
  return clauses.join(' AND ');
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The result's headline: what the handler did, or why it failed and what the undo did. */
export function outcomeLine(end: RunEnd | null): string {
  if (end === null) return 'running';
  if (end.status !== 'completed') return end.error ?? end.status;
  const result = end.result as Partial<HandlerResult> | undefined;
  if (typeof result?.success !== 'boolean') return 'completed';
  const details = (result.details ?? {}) as Record<string, unknown>;
  if (!result.success) {
    const undo =
      details.compensated === true
        ? '; compensated: code put back'
        : details.compensated === false
          ? `; compensation incomplete: ${String((details.compensation_errors as unknown[] | undefined)?.join('; '))}`
          : details.watcher_stopped === false
            ? '; nothing touched'
            : '';
    return `${firstLine(result.error ?? 'failed')}${undo}`;
  }
  const facts: string[] = [];
  if (typeof details.head_after === 'string')
    facts.push(details.updated === false ? 'already up to date' : `now at ${details.head_after.slice(0, 10)}`);
  if (typeof details.commits_reverted === 'number') facts.push(`${details.commits_reverted} commit(s) reverted`);
  if (typeof details.pid === 'number') facts.push(`watcher pid ${details.pid}`);
  if (typeof details.report_path === 'string') facts.push(`report ${details.report_path}`);
  if (details.pause_flag_created === true) facts.push('pause flag set');
  return ['ok', ...facts].join(', ');
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? text;
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

async function rowOf(client: Client, info: WorkflowExecutionInfo, now: number): Promise<TaskRow> {
  const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
  const story = storyOf(history.events ?? [], info.type);
  const input = story.input ?? {};
  const slash = info.workflowId.indexOf('/');
  const closed = info.closeTime?.getTime() ?? null;
  return {
    task_id: str(input.task_id) ?? info.workflowId.slice(slash + 1),
    worker_id: info.workflowId.slice(0, Math.max(slash, 0)),
    handler: info.type,
    label: str(input.label),
    requested_by: str(input.requested_by),
    status: taskStatusOf(info.status.name, story),
    started_at: info.startTime.toISOString(),
    closed_at: closed === null ? null : new Date(closed).toISOString(),
    duration_ms: (closed ?? now) - info.startTime.getTime(),
    outcome: story.approval === 'pending' && story.end === null ? 'awaiting approval' : outcomeLine(story.end),
    workflow_id: info.workflowId,
    run_id: info.runId,
  };
}

/** The matching runs, newest first, at most `limit`. */
export async function listTasks(client: Client, query: TaskQuery): Promise<TaskRow[]> {
  const now = query.now ?? Date.now();
  const rows: TaskRow[] = [];
  let batch: WorkflowExecutionInfo[] = [];
  const flush = async (): Promise<void> => {
    const read = await Promise.all(batch.map((info) => rowOf(client, info, now)));
    batch = [];
    for (const row of read) if (query.status === undefined || row.status === query.status) rows.push(row);
  };
  for await (const info of client.workflow.list({ query: taskListQuery(query), pageSize: 100 })) {
    batch.push(info);
    if (batch.length >= query.limit) {
      await flush();
      if (rows.length >= query.limit) break;
    }
  }
  await flush();
  rows.sort((a, b) => b.started_at.localeCompare(a.started_at));
  return rows.slice(0, query.limit);
}

export function formatTasks(rows: readonly TaskRow[], allWorkers: boolean): string {
  if (rows.length === 0) return 'no tasks\n';
  const header = ['TASK', ...(allWorkers ? ['WORKER'] : []), 'HANDLER', 'LABEL', 'BY', 'STATUS', 'STARTED', 'TOOK'];
  const table = rows.map((row): [string[], string] => [
    [
      row.task_id,
      ...(allWorkers ? [row.worker_id] : []),
      row.handler,
      row.label ?? '-',
      row.requested_by ?? '-',
      row.status,
      row.started_at.replace(/\.\d+Z$/, 'Z'),
      formatDuration(row.duration_ms),
    ],
    row.outcome,
  ]);
  return formatTable(header, 'OUTCOME', table);
}

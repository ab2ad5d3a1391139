/**
 * Approvals from the operator's side, shared by the CLI (`approvals`, `approve`, `reject`), the approval
 * flags of the ingest and the web panel: the requests of a worker (or every worker) and a decision on one.
 * A pending request is read with the `approval` query (the worker answers it); a closed task's approval
 * from its result in the history, so `--all` needs no worker.
 */
import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApprovalDecision, ApprovalDecisionKind, ApprovalOutcome, ApprovalState } from '../contract/approvals.js';
import { approvalQuery, approveUpdate, rejectUpdate } from '../contract/approvals.js';
import { handlerWorkflowId } from '../contract/ids.js';
import { storyOf } from './timeline.js';
import { taskListQuery } from './tasks.js';

export interface ApprovalRow extends ApprovalState {
  worker_id: string;
  workflow_id: string;
  run_id: string;
  /** The task still runs (pending, or approved and working). */
  running: boolean;
  age_ms: number;
  /** Negative once expired; null once decided. */
  expires_in_ms: number | null;
}

export interface ApprovalListQuery {
  /** null: every worker. */
  workerId: string | null;
  /** Decided and expired ones too (closed tasks), not only the pending ones. */
  all: boolean;
  limit: number;
  now?: number;
}

/** A decision the workflow refused (validator or live-state check), or a task that cannot take one. */
export class DecisionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecisionRefused';
  }
}

async function stateOf(
  client: Client,
  info: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'status' | 'type'>,
): Promise<ApprovalState | null> {
  const handle = client.workflow.getHandle(info.workflowId, info.runId);
  if (info.status.name === 'RUNNING') return handle.query(approvalQuery);
  const history = await handle.fetchHistory();
  const result = storyOf(history.events ?? [], info.type).end?.result as
    { details?: { approval?: ApprovalState } } | undefined;
  return result?.details?.approval ?? null;
}

function rowOf(info: WorkflowExecutionInfo, state: ApprovalState, now: number): ApprovalRow {
  const slash = info.workflowId.indexOf('/');
  const pending = state.status === 'pending';
  return {
    ...state,
    worker_id: info.workflowId.slice(0, Math.max(slash, 0)),
    workflow_id: info.workflowId,
    run_id: info.runId,
    running: info.status.name === 'RUNNING',
    age_ms: now - Date.parse(state.requested_at),
    expires_in_ms: pending ? Date.parse(state.expires_at) - now : null,
  };
}

/** Pending requests (and with `all` the decided ones), newest first. */
export async function listApprovals(client: Client, query: ApprovalListQuery): Promise<ApprovalRow[]> {
  const now = query.now ?? Date.now();
  const listed = taskListQuery({
    workerId: query.workerId,
    limit: query.limit,
    ...(query.all ? {} : { status: 'running' }),
  });
  const infos: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query: listed, pageSize: 100 })) {
    infos.push(info);
    if (infos.length >= query.limit * 4) break;
  }
  const rows = await Promise.all(
    infos.map(async (info) => {
      const state = await stateOf(client, info).catch(() => null);
      return state === null || (!query.all && state.status !== 'pending') ? null : rowOf(info, state, now);
    }),
  );
  return rows
    .filter((row): row is ApprovalRow => row !== null)
    .sort((a, b) => b.requested_at.localeCompare(a.requested_at))
    .slice(0, query.limit);
}

export interface DecisionRequest {
  workerId: string;
  taskId: string;
  kind: ApprovalDecisionKind;
  decision: ApprovalDecision;
}

/** Sends `approve` or `reject`; a refusal (the workflow's reason) is a DecisionRefused. */
export async function decideApproval(client: Client, request: DecisionRequest): Promise<ApprovalOutcome> {
  const handle = client.workflow.getHandle(handlerWorkflowId(request.workerId, request.taskId));
  const update = request.kind === 'approve' ? approveUpdate : rejectUpdate;
  try {
    return await handle.executeUpdate(update, { args: [request.decision] });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = error.cause instanceof Error ? error.cause.message : error.message;
      throw new DecisionRefused(`${request.kind} of task ${request.taskId} refused: ${cause}`);
    }
    if (error instanceof WorkflowNotFoundError) throw new DecisionRefused(await whyNoRun(client, handle, request));
    throw error;
  }
}

/** An update finds no run: the task is unknown, or it already ended (decided, expired, or it needed none). */
async function whyNoRun(client: Client, handle: WorkflowHandle, request: DecisionRequest): Promise<string> {
  let info: WorkflowExecutionDescription;
  try {
    info = await handle.describe();
  } catch {
    return `no task ${request.taskId} on worker ${request.workerId}`;
  }
  const state = await stateOf(client, info).catch(() => null);
  const ended = `task ${request.taskId} on ${request.workerId} already ended (${info.status.name.toLowerCase()})`;
  if (state === null) return `${ended}: nothing to decide`;
  const by = state.decision === null ? '' : ` by ${state.decision.by} at ${state.decision.at}`;
  return `${ended}: it was ${state.status}${by}`;
}

/**
 * Approvals (SPEC "Operator surfaces", issue 14): a handler configured to need one waits in its workflow,
 * before any side effect, for a Workflow Update `approve` or `reject`; a durable timer ends it as
 * `expired`. Shared by the handler workflows, the approval activities, the ingest (approval flags), the
 * CLI, the web panel, the keep-alive (last-known-good rollback) and tests. Plain types and
 * `@temporalio/workflow` definitions only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The decisions, also the middle of an approval flag's name: `supervisor_approve_<workerId>.flag`. */
export const APPROVAL_DECISIONS = ['approve', 'reject'] as const;
export type ApprovalDecisionKind = (typeof APPROVAL_DECISIONS)[number];

/** Where a decision came from: named in the audit. */
export type DecisionChannel = 'cli' | 'flag' | 'panel' | 'temporal';

/** What a decider sends with `approve` or `reject`. */
export interface ApprovalDecision {
  /** The operator's name, checked against `approvals.deciders` and (unless allowed) the requester. */
  by: string;
  comment?: string | null;
  via?: DecisionChannel;
}

/** Update names: `temporal workflow update execute --name approve` works as well as the CLI. */
export const approveUpdate = defineUpdate<ApprovalOutcome, [ApprovalDecision]>('approve');
export const rejectUpdate = defineUpdate<ApprovalOutcome, [ApprovalDecision]>('reject');

/** A newer task for the same worker asks what this one was to do: deciding this one now would act on stale intent. */
export const approvalSupersededSignal = defineSignal<[{ task_id: string; handler: string }]>('approval_superseded');

/** The approval state of a handler run; null when it needs none. */
export const approvalQuery = defineQuery<ApprovalState | null>('approval');

/** The per-worker approval rules, read by the workflow through `workerSettings`. */
export interface ApprovalSettings {
  /** Expiry per handler that needs approval on this worker (handlers absent need none). */
  expiresMs: Partial<Record<string, number>>;
  /** Who may decide; empty: anyone who can reach Temporal. */
  deciders: string[];
  allowSelfApproval: boolean;
  /** The expiry of a request for a handler not listed above (an input with `require_approval: true`). */
  defaultExpiresMs: number;
}

/**
 * The live state an approval is about, taken when it is requested and again when it is approved:
 * a different fingerprint means the world moved and the approval is refused as stale.
 */
export interface ApprovalSnapshot {
  /** One line for the operator: "revert 2 commits on main: 1a2b3c4 fix x; 5d6e7f8 add y". */
  summary: string;
  /** The facts the fingerprint is made of, for the audit ("what they saw"). */
  facts: Record<string, unknown>;
  fingerprint: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalRecord {
  by: string;
  comment: string | null;
  via: DecisionChannel;
  at: string;
}

export interface ApprovalState {
  status: ApprovalStatus;
  task_id: string;
  handler: string;
  label: string | null;
  requested_by: string | null;
  requested_at: string;
  expires_at: string;
  /** What will happen when approved, and the facts it was decided on. */
  request: ApprovalSnapshot;
  deciders: string[];
  allow_self_approval: boolean;
  decision: ApprovalRecord | null;
  superseded_by: string | null;
}

/** What `approve` and `reject` return once accepted. */
export interface ApprovalOutcome {
  task_id: string;
  decision: 'approved' | 'rejected';
  by: string;
  at: string;
  /** The live state the approval was checked against (reject: the request's). */
  saw: ApprovalSnapshot;
}

/** Failure type of a decision the workflow refused (validator or the live-state check): nothing changed. */
export const APPROVAL_REFUSED = 'ApprovalRefused';

/** Audit actions of the approval protocol (handler rows; events `task_<action>`). */
export const APPROVAL_ACTIONS = {
  requested: 'approval_requested',
  approved: 'approved',
  rejected: 'rejected',
  expired: 'expired',
} as const;

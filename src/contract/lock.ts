/**
 * The per-worker lock `lock/<workerId>` (src/workflows/lock/): its requests, state, tuning and signals,
 * shared by the lock workflow, its requesters (handlers, keep-alive), the requestLock activity and tests.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Workflow type of the lock; one instance per worker under `lockWorkflowId`. */
export const LOCK_WORKFLOW_TYPE = 'supervisor_lock';

/** Continue-as-new past this many history events (the server's suggestion also counts); lock and keep-alive alike. */
export const MAX_HISTORY_EVENTS = 2_000;

/** One run of a workflow: a requester, or a release naming one. */
export interface LockRelease {
  workflowId: string;
  runId: string;
}

/** One waiting or granted request; a requester is one run of a handler workflow or of the keep-alive. */
export interface LockRequest extends LockRelease {
  handler: string;
  /** Lower is more urgent (flags/handlers.ts priorityOf; the keep-alive ranks last). */
  priority: number;
  /** The request's time (ms since epoch): ties in priority go to the older request. */
  requestedAt: number;
}

/** How the lock behaves; tests shorten it. */
export interface LockTuning {
  /** When the lock is idle, how long to collect requests that arrive together before ranking them. */
  gatherMs: number;
  /** How often the lock asks whether its holder still runs (recovery from a terminated holder). */
  holderCheckMs: number;
  /** Continue-as-new past this many history events (default MAX_HISTORY_EVENTS). */
  maxHistoryEvents?: number;
}

export const DEFAULT_LOCK_TUNING: LockTuning = { gatherMs: 1_000, holderCheckMs: 30_000 };

/** The lock's whole state: its input, carried across continue-as-new, returned by the state query. */
export interface LockState {
  holder: LockRequest | null;
  queue: LockRequest[];
  tuning: LockTuning;
}

/** The lock workflow's signature, for typed starts from code that must not import workflows (activities). */
export type LockWorkflow = (initial: LockState) => Promise<void>;

/** Requester → lock: enqueue me (idempotent per run). Sent with signal-with-start by the requestLock activity. */
export const lockRequestSignal = defineSignal<[LockRequest]>('lock_request');
/** Requester → lock: I am done, or I withdraw while still waiting. */
export const lockReleaseSignal = defineSignal<[LockRelease]>('lock_release');
/** Lock → requester: you hold the lock now. */
export const lockGrantedSignal = defineSignal<[{ lockWorkflowId: string }]>('lock_granted');
export const lockStateQuery = defineQuery<LockState>('lock_state');

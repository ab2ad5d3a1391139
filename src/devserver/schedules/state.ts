/**
 * A schedule's whole state as plain serialisable records (what the real server keeps in the scheduler
 * workflow's StartScheduleArgs: Schedule, Info, InternalState). Timers and watchers are derived from it,
 * so persisting these records is enough to resume a schedule, catch-up window included.
 */
import type { IFailure, IMemo, IPayloads, ISearchAttributes, L, pb } from '../wire/proto.js';

export type ScheduleProto = L<pb.api.schedule.v1.ISchedule>;

export const Overlap = {
  UNSPECIFIED: 0,
  SKIP: 1,
  BUFFER_ONE: 2,
  BUFFER_ALL: 3,
  CANCEL_OTHER: 4,
  TERMINATE_OTHER: 5,
  ALLOW_ALL: 6,
} as const;

export interface BufferedStart {
  nominalMs: number;
  actualMs: number;
  /** UNSPECIFIED resolves to the schedule's policy when the buffer is processed, so updates apply. */
  overlapPolicy: number;
  manual: boolean;
}

export interface Backfill {
  startMs: number;
  endMs: number;
  overlapPolicy: number;
}

export interface ActionRecord {
  scheduleTimeMs: number;
  actualTimeMs: number;
  workflowId: string;
  runId: string;
  /** WorkflowExecutionStatus as last observed. */
  status: number;
}

export interface ScheduleInfoRecord {
  createTimeMs: number;
  updateTimeMs: number;
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
  recentActions: ActionRecord[];
  /** Non-overlapping runs still believed open (ALLOW_ALL runs are not tracked, as on the server). */
  running: { workflowId: string; runId: string }[];
  invalidScheduleError: string;
}

export interface InternalRecord {
  lastProcessedMs: number;
  conflictToken: number;
  buffered: BufferedStart[];
  backfills: Backfill[];
  lastCompletionResult: IPayloads | null;
  continuedFailure: IFailure | null;
}

export interface ScheduleRecord {
  namespace: string;
  namespaceId: string;
  scheduleId: string;
  /** Request id of the CreateSchedule that made it: a retried create succeeds, as the server dedupes it. */
  createRequestId: string;
  schedule: ScheduleProto;
  memo: IMemo | null;
  searchAttributes: ISearchAttributes | null;
  info: ScheduleInfoRecord;
  internal: InternalRecord;
}

/** Server tweakables (CurrentTweakablePolicies). */
export const LIMITS = {
  defaultCatchupWindowMs: 365 * 24 * 3600 * 1000,
  minCatchupWindowMs: 10_000,
  retentionMs: 7 * 24 * 3600 * 1000,
  futureActionCount: 10,
  recentActionCount: 10,
  futureActionCountForList: 5,
  recentActionCountForList: 5,
  maxBufferSize: 1000,
  backfillsPerIteration: 10,
  maxListMatchingTimes: 1000,
} as const;

export function newRecord(
  namespace: string,
  namespaceId: string,
  scheduleId: string,
  schedule: ScheduleProto,
  nowMs: number,
): ScheduleRecord {
  return {
    namespace,
    namespaceId,
    scheduleId,
    createRequestId: '',
    schedule,
    memo: null,
    searchAttributes: null,
    info: {
      createTimeMs: nowMs,
      updateTimeMs: 0,
      actionCount: 0,
      missedCatchupWindow: 0,
      overlapSkipped: 0,
      bufferDropped: 0,
      recentActions: [],
      running: [],
      invalidScheduleError: '',
    },
    internal: {
      lastProcessedMs: nowMs,
      conflictToken: 1,
      buffered: [],
      backfills: [],
      lastCompletionResult: null,
      continuedFailure: null,
    },
  };
}

/** One place that loads the Temporal protos and converts their scalar types. */
import protoRoot from '@temporalio/proto';
import type { temporal as T, google as G } from '@temporalio/proto';
import type Long from 'long';

export type { temporal as pb } from '@temporalio/proto';

/** Proto interfaces with int64 fields relaxed to `number | Long` (protobufjs encodes plain numbers fine). */
export type L<T> = T extends Long
  ? number | Long
  : T extends Uint8Array
    ? T
    : T extends (infer U)[]
      ? L<U>[]
      : T extends object
        ? { [K in keyof T]?: L<T[K]> | null }
        : T;

export const temporal = protoRoot.temporal;
export const google = protoRoot.google;
export const grpcHealth = protoRoot.grpc.health.v1;

export type IHistoryEvent = L<T.api.history.v1.IHistoryEvent>;
export type IPayloads = L<T.api.common.v1.IPayloads>;
export type IPayload = L<T.api.common.v1.IPayload>;
export type IFailure = L<T.api.failure.v1.IFailure>;
export type IRetryPolicy = L<T.api.common.v1.IRetryPolicy>;
export type IMemo = L<T.api.common.v1.IMemo>;
export type ISearchAttributes = L<T.api.common.v1.ISearchAttributes>;
export type IHeader = L<T.api.common.v1.IHeader>;
export type ITaskQueue = L<T.api.taskqueue.v1.ITaskQueue>;
export type ICommand = L<T.api.command.v1.ICommand>;
export type IDuration = L<G.protobuf.IDuration>;
export type ITimestamp = L<G.protobuf.ITimestamp>;
export type IWorkflowExecution = L<T.api.common.v1.IWorkflowExecution>;
export type wfs = typeof temporal.api.workflowservice.v1;

export const EventType = temporal.api.enums.v1.EventType;
export const CommandType = temporal.api.enums.v1.CommandType;
export const WorkflowExecutionStatus = temporal.api.enums.v1.WorkflowExecutionStatus;
export const RetryState = temporal.api.enums.v1.RetryState;
export const TimeoutType = temporal.api.enums.v1.TimeoutType;
export const WorkflowTaskFailedCause = temporal.api.enums.v1.WorkflowTaskFailedCause;
export const ParentClosePolicy = temporal.api.enums.v1.ParentClosePolicy;

/** int64 fields decode as Long; everything here keeps plain numbers. */
export function num(v: number | Long | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return v.toNumber();
}

export function durationMs(d: IDuration | null | undefined): number {
  if (!d) return 0;
  return num(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

export function msDuration(ms: number): IDuration {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function tsFromMs(ms: number): ITimestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function msFromTs(t: ITimestamp | null | undefined): number {
  if (!t) return 0;
  return num(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** Duration as it appears in a proto: absent when zero, like the real server fills them. */
export function optDuration(ms: number): IDuration | null {
  return ms > 0 ? msDuration(ms) : null;
}

/**
 * What the durable store writes. History events are stored as protobuf bytes (like the real server's history
 * blobs), so a run is rebuilt from exactly what the SDK saw; the state the real server keeps in mutable state
 * but not in history (request ids, activity attempts and heartbeat details, sticky binding, buffered events,
 * a transient workflow task) goes next to it. The record envelope is v8-serialized (Maps, bytes and all).
 */
import { deserialize, serialize } from 'node:v8';
import { temporal } from '../wire/proto.js';
import type { IFailure, IHistoryEvent, IPayloads } from '../wire/proto.js';
import type { ActivityRuntime, Run, RunExtras } from '../state/run.js';
import type { RunSnapshot } from '../core/recovery.js';
import type { NamespaceSnapshot } from '../state/namespaces.js';

const HistoryEvent = temporal.api.history.v1.HistoryEvent;
const Payloads = temporal.api.common.v1.Payloads;
const Failure = temporal.api.failure.v1.Failure;

/** int64 fields come back as plain numbers, like the events the engine writes itself. */
const TO_OBJECT = { longs: Number } as const;

type StoredActivity = Omit<ActivityRuntime, 'heartbeatDetails' | 'lastFailure'> & {
  heartbeatDetails: Uint8Array | null;
  lastFailure: Uint8Array | null;
};

interface StoredExtras {
  startRequestId: string;
  sticky: RunExtras['sticky'];
  requestIds: string[];
  signalRequestIds: string[];
  cancelRequestIds: string[];
  activities: [number, StoredActivity][];
  retriedAs?: string;
  awaitingBackoff?: boolean;
}

export interface RunRecord {
  t: 'run';
  ns: string;
  wid: string;
  rid: string;
  /** Index of the first event in `events`: a run's record only carries what was added since the last one. */
  from: number;
  events: Uint8Array[];
  buffered: Uint8Array[];
  extras: StoredExtras;
  transient: RunSnapshot['transient'];
}

export type LogRecord =
  | RunRecord
  | { t: 'ns'; namespaces: NamespaceSnapshot[] }
  | { t: 'drop'; rid: string }
  /** Schedule records are plain data owned by src/devserver/schedules (null: deleted). */
  | { t: 'sched'; ns: string; id: string; rec: unknown };

export function encodeRecord(rec: LogRecord): Buffer {
  return serialize(rec);
}

export function decodeRecord(buf: Buffer): LogRecord {
  return deserialize(buf) as LogRecord;
}

function encodeEvent(ev: IHistoryEvent): Uint8Array {
  return HistoryEvent.encode(HistoryEvent.fromObject(ev)).finish();
}

function decodeEvent(bytes: Uint8Array): IHistoryEvent {
  return HistoryEvent.toObject(HistoryEvent.decode(bytes), TO_OBJECT) as IHistoryEvent;
}

function encodePayloads(p: IPayloads | null | undefined): Uint8Array | null {
  return p ? Payloads.encode(Payloads.fromObject(p)).finish() : null;
}

function encodeFailure(f: IFailure | null): Uint8Array | null {
  return f ? Failure.encode(Failure.fromObject(f)).finish() : null;
}

function decodeAs<T>(
  type: { decode(b: Uint8Array): unknown; toObject(m: never, o: typeof TO_OBJECT): unknown },
  bytes: Uint8Array | null,
): T | null {
  return bytes ? (type.toObject(type.decode(bytes) as never, TO_OBJECT) as T) : null;
}

/** The run's changes since `from` events were written (everything when `from` is 0). */
export function runRecord(run: Run, from: number): RunRecord {
  const x = run.extras;
  const wft = run.ms.wft;
  return {
    t: 'run',
    ns: run.namespace,
    wid: run.workflowId,
    rid: run.runId,
    from,
    events: run.events.slice(from).map(encodeEvent),
    buffered: run.buffered.map(encodeEvent),
    extras: {
      startRequestId: x.startRequestId,
      sticky: x.sticky,
      requestIds: [...x.requestIds],
      signalRequestIds: [...x.signalRequestIds],
      cancelRequestIds: [...x.cancelRequestIds],
      retriedAs: x.retriedAs,
      awaitingBackoff: x.awaitingBackoff,
      activities: [...x.activities].map(([id, rt]) => [
        id,
        { ...rt, heartbeatDetails: encodePayloads(rt.heartbeatDetails), lastFailure: encodeFailure(rt.lastFailure) },
      ]),
    },
    transient: wft?.transient
      ? { attempt: wft.attempt, queue: wft.queue, sticky: wft.sticky, scheduledTime: wft.scheduledTime }
      : null,
  };
}

/** A run as the recovery path takes it, from its accumulated events and latest record. */
export function runSnapshot(last: RunRecord, events: Uint8Array[]): RunSnapshot {
  const x = last.extras;
  const extras: RunExtras = {
    startRequestId: x.startRequestId,
    sticky: x.sticky,
    requestIds: new Set(x.requestIds),
    signalRequestIds: new Set(x.signalRequestIds),
    cancelRequestIds: new Set(x.cancelRequestIds),
    retriedAs: x.retriedAs,
    awaitingBackoff: x.awaitingBackoff,
    activities: new Map(
      x.activities.map(([id, rt]) => [
        id,
        {
          ...rt,
          heartbeatDetails: decodeAs<IPayloads>(Payloads, rt.heartbeatDetails),
          lastFailure: decodeAs<IFailure>(Failure, rt.lastFailure),
        },
      ]),
    ),
  };
  return {
    namespace: last.ns,
    workflowId: last.wid,
    runId: last.rid,
    events: events.map(decodeEvent),
    extras,
    buffered: last.buffered.map(decodeEvent),
    transient: last.transient,
  };
}

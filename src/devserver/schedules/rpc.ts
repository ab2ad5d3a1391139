/** WorkflowService schedule RPCs on top of the Scheduler, shaped like the real frontend's responses. */
import type { Engine } from '../state/engine.js';
import { temporal, durationMs, msDuration, msFromTs, tsFromMs } from '../wire/proto.js';
import { alreadyStarted, invalidArgument, notFound } from '../wire/errors.js';
import { parseListQuery } from '../visibility/list-query.js';
import { Scheduler } from './scheduler.js';
import { latestRun } from './actions.js';
import type { Entry } from './scheduler.js';
import { compileSpec } from './spec.js';
import type { ScheduleProto } from './state.js';
import { LIMITS, newRecord } from './state.js';
import { applyPatch, describeResponse, listEntry } from './responses.js';

type V1 = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof V1> = V1[K] extends { decode(...args: never[]): infer R } ? R : never;

/** Conflict tokens are the int64 sequence number, little-endian, as the server encodes them. */
export function encodeToken(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
}

function decodeToken(b: Uint8Array | null | undefined): number {
  return b && b.length === 8 ? Number(Buffer.from(b).readBigInt64LE()) : 0;
}

/** Validates and canonicalises a schedule as the frontend does before handing it to the scheduler. */
function prepare(engine: Engine, namespace: string, requested: ScheduleProto | null | undefined): ScheduleProto {
  if (!requested) throw invalidArgument('Schedule is not set on request.');
  // Plain objects with int64 as numbers: records must survive structuredClone / JSON-like persistence.
  const Schedule = temporal.api.schedule.v1.Schedule;
  const schedule = Schedule.toObject(Schedule.fromObject(requested), { longs: Number }) as ScheduleProto;
  const wf = schedule.action?.startWorkflow;
  if (!wf) throw invalidArgument('Schedule action is not set on request.');
  if (!wf.workflowId) throw invalidArgument('WorkflowId is not set on request.');
  if (!wf.workflowType?.name) throw invalidArgument('WorkflowType is not set on request.');
  if (!wf.taskQueue?.name) throw invalidArgument('TaskQueue is not set on request.');
  const saError = engine.namespaces.searchAttributeError(namespace, wf.searchAttributes);
  if (saError) throw invalidArgument(saError);
  let canonical;
  try {
    canonical = compileSpec(schedule.spec ?? {}).canonical;
  } catch (err) {
    // The SDK turns this prefix into a TypeError carrying the rest of the message.
    throw invalidArgument(`Invalid schedule spec: ${err instanceof Error ? err.message : String(err)}`);
  }
  const policies = schedule.policies ?? {};
  const cw = durationMs(policies.catchupWindow);
  return {
    spec: canonical,
    action: schedule.action,
    // Defaults are filled eagerly so that Describe shows them, as the server does.
    policies: {
      ...policies,
      overlapPolicy: policies.overlapPolicy || 1,
      catchupWindow: msDuration(
        policies.catchupWindow ? Math.max(cw, LIMITS.minCatchupWindowMs) : LIMITS.defaultCatchupWindowMs,
      ),
    },
    state: { ...(schedule.state ?? {}), remainingActions: Number(schedule.state?.remainingActions ?? 0) },
  };
}

const schedulers = new WeakMap<Engine, Scheduler>();

/** The engine's scheduler, for whoever persists and restores schedule records (see Scheduler.snapshot/restore). */
export function schedulerOf(engine: Engine): Scheduler {
  let scheduler = schedulers.get(engine);
  if (!scheduler) {
    scheduler = new Scheduler(engine);
    schedulers.set(engine, scheduler);
  }
  return scheduler;
}

/** What a ListSchedules query can look at: the schedule id, whether it is paused, its search attributes. */
function scheduleField(e: Entry, field: string): unknown {
  if (field === 'ScheduleId') return e.rec.scheduleId;
  if (field === 'TemporalSchedulePaused') return e.rec.schedule.state?.paused === true;
  const payload = e.rec.searchAttributes?.indexedFields?.[field];
  if (!payload?.data) return undefined;
  try {
    return JSON.parse(Buffer.from(payload.data).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function scheduleHandlers(engine: Engine) {
  const scheduler = schedulerOf(engine);
  const require = (namespace: string, scheduleId: string): Entry => {
    const e = scheduler.get(namespace, scheduleId);
    if (!e) throw notFound('schedule not found');
    return e;
  };
  return {
    CreateSchedule: (req: Req<'CreateScheduleRequest'>) => {
      if (!req.scheduleId) throw invalidArgument('ScheduleId is not set on request.');
      const existing = scheduler.get(req.namespace, req.scheduleId);
      if (existing && req.requestId && existing.rec.createRequestId === req.requestId) {
        return { conflictToken: encodeToken(existing.rec.internal.conflictToken) };
      }
      // The server starts the scheduler workflow: a second one fails as an already-started workflow.
      if (existing) throw alreadyStarted(req.requestId, '', `temporal-sys-scheduler:${req.scheduleId}`);
      const schedule = prepare(engine, req.namespace, req.schedule);
      const saError = engine.namespaces.searchAttributeError(req.namespace, req.searchAttributes);
      if (saError) throw invalidArgument(saError);
      const rec = newRecord(
        req.namespace,
        engine.namespaces.require(req.namespace).id,
        req.scheduleId,
        schedule,
        Date.now(),
      );
      rec.createRequestId = req.requestId;
      rec.memo = req.memo ?? null;
      rec.searchAttributes = req.searchAttributes ?? null;
      const patch = req.initialPatch;
      const e = scheduler.add(rec, patch ? (entry) => applyPatch(scheduler, entry, patch) : undefined);
      return { conflictToken: encodeToken(e.rec.internal.conflictToken) };
    },
    DescribeSchedule: (req: Req<'DescribeScheduleRequest'>) => {
      const e = require(req.namespace, req.scheduleId);
      // Like the server's frontend: if a run the schedule believes running has closed, refresh first (a
      // wake-up), so buffered starts go ahead; otherwise describing changes nothing.
      const closed = e.rec.info.running.some(
        (ex) => !latestRun(engine, req.namespace, ex.workflowId, ex.runId)?.isOpen,
      );
      if (closed) scheduler.wake(e);
      return { ...describeResponse(scheduler, e), conflictToken: encodeToken(e.rec.internal.conflictToken) };
    },
    UpdateSchedule: (req: Req<'UpdateScheduleRequest'>) => {
      const e = require(req.namespace, req.scheduleId);
      const schedule = prepare(engine, req.namespace, req.schedule);
      const saError = engine.namespaces.searchAttributeError(req.namespace, req.searchAttributes);
      if (saError) throw invalidArgument(saError);
      const token = decodeToken(req.conflictToken);
      // The server drops a conflicting update silently (the update is a signal to the scheduler).
      if (token !== 0 && token !== e.rec.internal.conflictToken) return {};
      scheduler.wake(e, () => {
        e.rec.schedule = schedule;
        if (req.searchAttributes) e.rec.searchAttributes = req.searchAttributes;
        scheduler.compile(e);
        e.rec.info.updateTimeMs = Date.now();
        e.rec.internal.conflictToken++;
        return true;
      });
      return {};
    },
    PatchSchedule: (req: Req<'PatchScheduleRequest'>) => {
      const e = require(req.namespace, req.scheduleId);
      const patch = req.patch;
      if (patch)
        scheduler.wake(e, () => {
          applyPatch(scheduler, e, patch);
          return false;
        });
      return {};
    },
    DeleteSchedule: (req: Req<'DeleteScheduleRequest'>) => {
      scheduler.remove(require(req.namespace, req.scheduleId));
      return {};
    },
    ListSchedules: (req: Req<'ListSchedulesRequest'>) => {
      const matches = parseListQuery(req.query ?? '');
      const all = scheduler
        .list(req.namespace)
        .filter((e) => matches((field) => scheduleField(e, field)))
        .sort(
          (a, b) =>
            b.rec.info.createTimeMs - a.rec.info.createTimeMs || a.rec.scheduleId.localeCompare(b.rec.scheduleId),
        );
      const offset =
        req.nextPageToken && req.nextPageToken.length > 0 ? Number(Buffer.from(req.nextPageToken).toString('utf8')) : 0;
      const size = req.maximumPageSize > 0 ? req.maximumPageSize : 1000;
      const page = all.slice(offset, offset + size);
      const more = offset + size < all.length;
      return {
        schedules: page.map((e) => listEntry(scheduler, e)),
        nextPageToken: more ? Buffer.from(String(offset + size)) : null,
      };
    },
    ListScheduleMatchingTimes: (req: Req<'ListScheduleMatchingTimesRequest'>) => {
      const e = require(req.namespace, req.scheduleId);
      if (!req.startTime || !req.endTime) throw invalidArgument('missing or invalid query');
      if (!e.spec) throw invalidArgument(`invalid schedule: ${e.rec.info.invalidScheduleError}`);
      const end = msFromTs(req.endTime);
      const out = [];
      let t = msFromTs(req.startTime);
      for (let i = 0; i < LIMITS.maxListMatchingTimes; i++) {
        const next = scheduler.nextTime(e, t);
        if (!next || next.next > end) break;
        t = next.next;
        out.push(tsFromMs(t));
      }
      return { startTime: out };
    },
  };
}

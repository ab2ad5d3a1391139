/** Patches (trigger, backfill, pause/unpause) and the Describe / List shapes built from a schedule's records. */
import type { L, pb } from '../wire/proto.js';
import { msFromTs, tsFromMs } from '../wire/proto.js';
import type { Entry, Scheduler } from './scheduler.js';
import { cleanSpec } from './spec.js';
import type { ActionRecord } from './state.js';
import { LIMITS } from './state.js';

type Patch = L<pb.api.schedule.v1.ISchedulePatch>;

export function applyPatch(scheduler: Scheduler, e: Entry, patch: Patch): void {
  const trigger = patch.triggerImmediately;
  if (trigger) {
    const at = msFromTs(trigger.scheduledTime) || Date.now();
    scheduler.addStart(e, at, at, trigger.overlapPolicy ?? 0, true);
  }
  for (const b of patch.backfillRequest ?? []) {
    if (e.rec.internal.backfills.length >= LIMITS.maxBufferSize) {
      e.rec.info.bufferDropped++;
      continue;
    }
    // The start time is inclusive: a time exactly at the start matches.
    e.rec.internal.backfills.push({
      startMs: msFromTs(b.startTime) - 1,
      endMs: msFromTs(b.endTime),
      overlapPolicy: b.overlapPolicy ?? 0,
    });
  }
  const state = e.rec.schedule.state ?? (e.rec.schedule.state = {});
  if (patch.pause) {
    state.paused = true;
    state.notes = patch.pause;
    e.rec.internal.conflictToken++;
  }
  if (patch.unpause) {
    state.paused = false;
    state.notes = patch.unpause;
    e.rec.internal.conflictToken++;
  }
}

/**
 * Up to n future action times after the last processed time, as Describe and List show them: limited
 * actions cut the list, pausing does not, times before the last update are left out.
 */
export function futureActionTimes(scheduler: Scheduler, e: Entry, n: number): number[] {
  const state = e.rec.schedule.state;
  const count = state?.limitedActions ? Math.min(Number(state.remainingActions ?? 0), n) : n;
  const out: number[] = [];
  let t = e.rec.internal.lastProcessedMs;
  while (out.length < count) {
    const next = scheduler.nextTime(e, t);
    if (!next) break;
    t = next.next;
    if (e.rec.info.updateTimeMs > t) continue;
    out.push(t);
  }
  return out;
}

function actionResult(a: ActionRecord): L<pb.api.schedule.v1.IScheduleActionResult> {
  return {
    scheduleTime: tsFromMs(a.scheduleTimeMs),
    actualTime: tsFromMs(a.actualTimeMs),
    startWorkflowResult: { workflowId: a.workflowId, runId: a.runId },
    startWorkflowStatus: a.status,
  };
}

export function describeResponse(scheduler: Scheduler, e: Entry) {
  const { rec } = e;
  const info = rec.info;
  return {
    schedule: { ...rec.schedule, spec: cleanSpec(rec.schedule.spec ?? {}) },
    info: {
      actionCount: info.actionCount,
      missedCatchupWindow: info.missedCatchupWindow,
      overlapSkipped: info.overlapSkipped,
      bufferDropped: info.bufferDropped,
      bufferSize: rec.internal.buffered.length,
      runningWorkflows: info.running,
      recentActions: info.recentActions.map(actionResult),
      futureActionTimes: futureActionTimes(scheduler, e, LIMITS.futureActionCount).map(tsFromMs),
      createTime: tsFromMs(info.createTimeMs),
      updateTime: info.updateTimeMs ? tsFromMs(info.updateTimeMs) : null,
      invalidScheduleError: info.invalidScheduleError,
    },
    memo: rec.memo,
    searchAttributes: rec.searchAttributes,
  };
}

export function listEntry(scheduler: Scheduler, e: Entry) {
  const { rec } = e;
  // The list view drops the time zone data and keeps at most 10 of each spec field, like the server's memo.
  const spec = rec.schedule.spec ?? {};
  return {
    scheduleId: rec.scheduleId,
    memo: rec.memo,
    searchAttributes: rec.searchAttributes,
    info: {
      spec: {
        ...spec,
        timezoneData: null,
        structuredCalendar: (spec.structuredCalendar ?? []).slice(0, 10),
        excludeStructuredCalendar: (spec.excludeStructuredCalendar ?? []).slice(0, 10),
        interval: (spec.interval ?? []).slice(0, 10),
      },
      workflowType: rec.schedule.action?.startWorkflow?.workflowType ?? null,
      notes: rec.schedule.state?.notes ?? '',
      paused: rec.schedule.state?.paused ?? false,
      recentActions: rec.info.recentActions.slice(-LIMITS.recentActionCountForList).map(actionResult),
      futureActionTimes: futureActionTimes(scheduler, e, LIMITS.futureActionCountForList).map(tsFromMs),
    },
  };
}

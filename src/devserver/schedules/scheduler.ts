/**
 * The scheduler runtime: one iteration of the real server's scheduler workflow loop per wake-up (a timer
 * at the next action time, an RPC, or a watched run closing). State lives in ScheduleRecords; the timer
 * and the watcher are rebuilt from them on every wake, so a restored record resumes with its catch-up.
 */
import type { Engine } from '../state/engine.js';
import { durationMs } from '../wire/proto.js';
import { compileSpec } from './spec.js';
import type { CompiledSpec, NextTime } from './spec.js';
import { processBuffer } from './buffer.js';
import { latestRun, refreshRunning, startAction, stopRun } from './actions.js';
import type { ActionRecord, ScheduleRecord } from './state.js';
import { LIMITS, Overlap } from './state.js';

export interface Entry {
  rec: ScheduleRecord;
  spec: CompiledSpec | null;
  watcher: AbortController | null;
  deleted: boolean;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();

  /**
   * Called after every change to a schedule's records (null: deleted), synchronously, before the RPC that
   * caused it answers: the place for a persistence layer to write them.
   */
  onChange: ((namespace: string, scheduleId: string, rec: ScheduleRecord | null) => void) | null = null;

  constructor(private readonly engine: Engine) {}

  get(namespace: string, scheduleId: string): Entry | undefined {
    return this.entries.get(key(namespace, scheduleId));
  }

  list(namespace: string): Entry[] {
    return [...this.entries.values()].filter((e) => e.rec.namespace === namespace);
  }

  /** Adds (or restores) a schedule and runs its first iteration with an optional initial patch. */
  add(rec: ScheduleRecord, initial?: (e: Entry) => void): Entry {
    const e: Entry = { rec, spec: null, watcher: null, deleted: false };
    this.compile(e);
    this.entries.set(key(rec.namespace, rec.scheduleId), e);
    this.wake(
      e,
      initial
        ? () => {
            initial(e);
            return false;
          }
        : undefined,
    );
    return e;
  }

  /** Copies of every schedule's records, for persisting; timers and watchers are not part of them. */
  snapshot(): ScheduleRecord[] {
    return [...this.entries.values()].map((e) => structuredClone(e.rec));
  }

  /**
   * Brings persisted schedules back: each catches up on the actions due while the engine was down (within
   * its catch-up window) and re-arms its timer.
   */
  restore(records: ScheduleRecord[]): void {
    for (const rec of records) this.add(structuredClone(rec));
  }

  remove(e: Entry): void {
    e.deleted = true;
    e.watcher?.abort();
    this.engine.timers.clear(timerKey(e));
    this.entries.delete(key(e.rec.namespace, e.rec.scheduleId));
    this.onChange?.(e.rec.namespace, e.rec.scheduleId, null);
  }

  compile(e: Entry): void {
    try {
      e.spec = compileSpec(e.rec.schedule.spec ?? {});
      e.rec.info.invalidScheduleError = '';
    } catch (err) {
      e.spec = null;
      e.rec.info.invalidScheduleError = err instanceof Error ? err.message : String(err);
    }
  }

  /**
   * One loop iteration: take the actions due since the last one, apply `mutate` (a patch or update; it
   * returns true when the schedule changed), then backfills, the buffer, and the next wake-up.
   */
  wake(e: Entry, mutate?: () => boolean): void {
    if (e.deleted || this.engine.stopped) return;
    const now = Date.now();
    const t2 = Math.max(now, e.rec.internal.lastProcessedMs);
    const first = this.processTimeRange(e, e.rec.internal.lastProcessedMs, t2, Overlap.UNSPECIFIED, false);
    let nextWakeup = first.next;
    e.rec.internal.lastProcessedMs = first.lastAction;
    if (mutate?.())
      nextWakeup = this.processTimeRange(e, e.rec.internal.lastProcessedMs, t2, Overlap.UNSPECIFIED, false).next;
    this.processBackfills(e);
    while (this.processBuffer(e)) {
      /* drain until nothing more can start now */
    }
    const expires = this.retentionExpiration(e, nextWakeup);
    if (expires !== null && expires <= now) {
      // An idle schedule (no more actions) goes away after the retention time, as on the server.
      this.remove(e);
      return;
    }
    let wakeAt = nextWakeup;
    if (this.hasMoreAllowAllBackfills(e)) wakeAt = now + 1000;
    else if (!this.canTake(e, false, false)) wakeAt = null; // paused or out of actions: sleep until told
    if (expires !== null) wakeAt = expires;
    if (wakeAt === null) this.engine.timers.clear(timerKey(e));
    else this.engine.timers.set(timerKey(e), wakeAt - now, () => this.wake(e));
    this.onChange?.(e.rec.namespace, e.rec.scheduleId, e.rec);
  }

  nextTime(e: Entry, afterMs: number): NextTime | null {
    return e.spec?.getNextTime(`${e.rec.namespaceId}-${e.rec.scheduleId}`, afterMs) ?? null;
  }

  catchupWindowMs(e: Entry): number {
    const cw = e.rec.schedule.policies?.catchupWindow;
    if (!cw) return LIMITS.defaultCatchupWindowMs;
    return Math.max(durationMs(cw), LIMITS.minCatchupWindowMs);
  }

  resolveOverlap(e: Entry, policy: number): number {
    return policy || e.rec.schedule.policies?.overlapPolicy || Overlap.SKIP;
  }

  private processTimeRange(
    e: Entry,
    start: number,
    end: number,
    policy: number,
    manual: boolean,
    limit?: { n: number },
  ): { next: number | null; lastAction: number } {
    if (!e.spec) return { next: null, lastAction: end };
    // Paused or out of actions: skip the whole range (it does not count as missed either).
    if (!this.canTake(e, manual, false)) return { next: this.nextTime(e, end)?.next ?? null, lastAction: end };
    const catchup = this.catchupWindowMs(e);
    let lastAction = start;
    let t = this.nextTime(e, start);
    for (; t !== null && t.next <= end; t = this.nextTime(e, t.next)) {
      // Times before the last update were computed from the old spec: discard them.
      if (!manual && e.rec.info.updateTimeMs > t.next) continue;
      if (!manual && end - t.next > catchup) {
        e.rec.info.missedCatchupWindow++;
        continue;
      }
      this.addStart(e, t.nominal, t.next, policy, manual);
      lastAction = t.next;
      if (limit && --limit.n <= 0) break;
    }
    return { next: t?.next ?? null, lastAction };
  }

  addStart(e: Entry, nominalMs: number, actualMs: number, overlapPolicy: number, manual: boolean): void {
    if (e.rec.internal.buffered.length >= LIMITS.maxBufferSize) {
      e.rec.info.bufferDropped++;
      return;
    }
    e.rec.internal.buffered.push({ nominalMs, actualMs, overlapPolicy, manual });
  }

  canTake(e: Entry, manual: boolean, decrement: boolean): boolean {
    if (manual) return true;
    const state = e.rec.schedule.state;
    if (state?.paused) return false;
    if (!state?.limitedActions) return true;
    if (Number(state.remainingActions ?? 0) > 0) {
      if (decrement) {
        state.remainingActions = Number(state.remainingActions) - 1;
        e.rec.internal.conflictToken++;
      }
      return true;
    }
    return false;
  }

  private processBackfills(e: Entry): void {
    const limit = { n: LIMITS.backfillsPerIteration };
    const backfills = e.rec.internal.backfills;
    while (backfills.length > 0 && limit.n > 0 && e.rec.internal.buffered.length < LIMITS.maxBufferSize / 2) {
      const b = backfills[0];
      if (!b) break;
      const { next } = this.processTimeRange(e, b.startMs, b.endMs, b.overlapPolicy, true, limit);
      if (next === null || next > b.endMs) backfills.shift();
      else b.startMs = next;
    }
  }

  private hasMoreAllowAllBackfills(e: Entry): boolean {
    const b = e.rec.internal.backfills[0];
    return b !== undefined && this.resolveOverlap(e, b.overlapPolicy) === Overlap.ALLOW_ALL;
  }

  /** Returns true when it should be called again right away. */
  private processBuffer(e: Entry): boolean {
    refreshRunning(this.engine, e.rec);
    const rec = e.rec;
    if (!rec.schedule.action?.startWorkflow || rec.internal.buffered.length === 0) {
      rec.internal.buffered = [];
      return false;
    }
    const action = processBuffer(rec.internal.buffered, rec.info.running.length > 0, (p) => this.resolveOverlap(e, p));
    rec.internal.buffered = action.rest;
    rec.info.overlapSkipped += action.skipped;
    let again = false;
    const starts = action.nonOverlapping ? [...action.overlapping, action.nonOverlapping] : action.overlapping;
    for (const start of starts) {
      if (!this.canTake(e, start.manual, true)) {
        again = true;
        continue;
      }
      let result: ActionRecord;
      try {
        result = startAction(this.engine, rec, start);
      } catch (err) {
        this.engine.logger.warn({ scheduleId: rec.scheduleId, err }, 'schedule failed to start workflow');
        again = true;
        continue;
      }
      rec.info.actionCount++;
      rec.info.recentActions = [...rec.info.recentActions, result].slice(-LIMITS.recentActionCount);
      if (start === action.nonOverlapping)
        rec.info.running.push({ workflowId: result.workflowId, runId: result.runId });
    }
    if (action.needTerminate || action.needCancel) {
      for (const ex of rec.info.running) {
        stopRun(this.engine, rec, latestRun(this.engine, rec.namespace, ex.workflowId, ex.runId), action.needTerminate);
      }
    }
    // Still buffered: wait for a running one to close (one watcher at a time, like the server).
    const watched = rec.info.running[0];
    if (rec.internal.buffered.length > 0 && !e.watcher && watched) this.watch(e, watched);
    return again;
  }

  private watch(e: Entry, ex: { workflowId: string; runId: string }): void {
    const ac = new AbortController();
    e.watcher = ac;
    const loop = async (): Promise<void> => {
      for (;;) {
        const run = latestRun(this.engine, e.rec.namespace, ex.workflowId, ex.runId);
        if (!run?.isOpen || ac.signal.aborted || this.engine.stopped) break;
        await run.waitForChangeUntil(() => !run.isOpen, ac.signal, 60_000);
      }
    };
    loop().then(
      () => {
        if (e.watcher === ac) e.watcher = null;
        if (!ac.signal.aborted) this.wake(e);
      },
      (err: unknown) => this.engine.logger.error({ scheduleId: e.rec.scheduleId, err }, 'schedule watcher failed'),
    );
  }

  private retentionExpiration(e: Entry, nextWakeup: number | null): number | null {
    if (
      e.rec.schedule.state?.paused ||
      (nextWakeup !== null && this.canTake(e, false, false)) ||
      this.hasMoreAllowAllBackfills(e)
    )
      return null;
    return lastEvent(e.rec) + LIMITS.retentionMs;
  }
}

export function lastEvent(rec: ScheduleRecord): number {
  const last = rec.info.recentActions.at(-1)?.actualTimeMs ?? 0;
  return Math.max(last, rec.info.createTimeMs, rec.info.updateTimeMs);
}

function key(namespace: string, scheduleId: string): string {
  return `${namespace}\u0000${scheduleId}`;
}

function timerKey(e: Entry): string {
  return `schedule:${e.rec.namespace}:${e.rec.scheduleId}`;
}

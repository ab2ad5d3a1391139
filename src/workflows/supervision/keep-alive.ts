/**
 * `keepalive/<workerId>`: keeps the watcher running. A heartbeating activity watches the process and
 * its heartbeat file and returns when the watcher is down or hung (or when what it sees changes); the
 * workflow then restarts it under the per-worker lock, with exponential backoff and a restart budget.
 * The counters live in workflow state and travel across continue-as-new: a supervisor restart keeps them.
 */
import {
  CancellationScope,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, RollbackWait, WatchResult } from '../../activities/index.js';
import type {
  KeepAliveCounters,
  KeepAliveInput,
  KeepAliveState,
  KeepAliveStateName,
  WatcherObservation,
} from '../../contract/supervision.js';
import {
  KEEPALIVE_LOCK_HANDLER,
  KEEPALIVE_LOCK_PRIORITY,
  keepAliveResetSignal,
  keepAliveStateQuery,
} from '../../contract/supervision.js';
import { failureMessage } from '../failures.js';
import { withWorkerLock } from '../lock/with-worker-lock.js';
import { QUICK, RETRY } from '../retry.js';

const MARGIN_MS = 15_000;
/** What a stop of a watcher already down would report. */
const NOTHING_TO_STOP = { stoppedBy: 'not-running', resumed: [] } as const;

/** Exponent of the backoff, restarted when the watcher stayed up long enough. */
export function backoffDelay(consecutive: number, initialMs: number, maxMs: number): number {
  return consecutive === 0 ? 0 : Math.min(maxMs, initialMs * 2 ** (consecutive - 1));
}

export async function supervisor_keepalive(input: KeepAliveInput): Promise<void> {
  const { tuning } = input;
  /**
   * Issue 11 (hang audited at once and stopped with a short grace, a changed command line replaced, a
   * first start not counted) issues new commands. Asked where they differ: a run begun by older code
   * replays its old iterations unchanged and takes the new path from its first new decision on.
   */
  const v11 = (): boolean => patched('keepalive-issue11');
  /**
   * Issue 16 (a restart in fewer round trips): the lock request, and the look under the lock with the start
   * of a watcher found down, as local activities; no stop of a watcher found down (the start clears what a
   * dead watcher left behind, as the stop would). New commands, so behind a patch; asked once per restart.
   */
  const fast = (): boolean => patched('keepalive-fast-restart');
  const counters: KeepAliveCounters = input.counters ?? {
    restartTimes: [],
    consecutive: 0,
    lastRestartAt: null,
    failed: null,
    total: 0,
  };
  let state: KeepAliveStateName = counters.failed === null ? 'starting' : 'failed';
  let observation: WatcherObservation | null = null;
  /**
   * The last start failed (the watcher died within the start grace, which also removes its pid file): the next
   * look then finds no pid file, which alone would read as "nothing of ours ran" and start uncounted.
   */
  let lastStartFailed = false;
  let backoffMs = 0;
  let woken = false;
  /** Why the last reset came, until it is audited (signal handlers cannot run activities). */
  let resetReason: string | null = null;
  /**
   * Issue 14 (the last-known-good rollback) issues new commands: only when the tuning turns it on (inputs
   * of older keep-alives have no `lastKnownGood`), and behind its patch so saved histories replay.
   */
  const lkg = tuning.lastKnownGood;
  const lkgOn = (): boolean => lkg?.enabled === true && patched('keepalive-last-known-good');
  /** The watcher start whose commit was last looked at (recorded or not): asked about once per start. */
  let checkedStart: string | null = counters.lastKnownGood?.watcherStartedAt ?? null;

  const io =
    proxyActivities<
      Pick<
        Activities,
        'observeWatcher' | 'recordAudit' | 'lastKnownGoodHead' | 'lastKnownGoodPlan' | 'startLastKnownGoodRollback'
      >
    >(QUICK);
  // The start's grace (and the clean-up of a dead watcher's orphans) run inside the workflow task.
  const near = proxyLocalActivities<Pick<Activities, 'restartWatcherIfDown'>>({
    startToCloseTimeout: tuning.stopTimeoutMs + tuning.killWaitMs + MARGIN_MS,
    retry: RETRY,
  });
  // Each call returns within maxWatchMs (still running: ask again); cancelled by the reset signal.
  const follow = proxyActivities<Pick<Activities, 'awaitLastKnownGoodRollback'>>({
    startToCloseTimeout: tuning.maxWatchMs + MARGIN_MS,
    heartbeatTimeout: tuning.watchHeartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
  });
  // Retried without limit: a watch that timed out on a dead host must go on elsewhere.
  const watch = proxyActivities<Pick<Activities, 'watchWatcher'>>({
    startToCloseTimeout: tuning.maxWatchMs + MARGIN_MS,
    heartbeatTimeout: tuning.watchHeartbeatTimeoutMs,
    retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '5s' },
  });
  const stop = proxyActivities<Pick<Activities, 'stopWatcher'>>({
    startToCloseTimeout: tuning.stopTimeoutMs + tuning.killWaitMs + MARGIN_MS,
    heartbeatTimeout: '10s',
    retry: RETRY,
  });
  const start = proxyActivities<Pick<Activities, 'startWatcher'>>({
    startToCloseTimeout: '1m',
    heartbeatTimeout: '20s',
    retry: RETRY,
  });

  const inWindow = () => counters.restartTimes.filter((at) => Date.now() - at < tuning.windowMs);
  setHandler(keepAliveStateQuery, (): KeepAliveState => ({
    state,
    restartsInWindow: inWindow().length,
    totalRestarts: counters.total,
    lastRestartAt: counters.lastRestartAt === null ? null : new Date(counters.lastRestartAt).toISOString(),
    backoffMs,
    failedReason: counters.failed?.reason ?? null,
    lastObservation: observation,
    lastKnownGood:
      counters.lastKnownGood == null
        ? null
        : { commit: counters.lastKnownGood.commit, at: new Date(counters.lastKnownGood.at).toISOString() },
    rollback: counters.rollback ?? null,
  }));
  setHandler(keepAliveResetSignal, ({ reason }) => {
    log.info('keep-alive reset by an operator: restart budget and backoff cleared', { reason });
    Object.assign(counters, { restartTimes: [], consecutive: 0, failed: null });
    // The operator took over: a last-known-good rollback is no longer waited for (its run goes on by itself).
    if (counters.rollback != null) counters.rollback = null;
    observation = null;
    woken = true;
    resetReason = reason;
  });

  const historyFull = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > tuning.maxHistoryEvents;

  while (!historyFull()) {
    woken = false;
    if (resetReason !== null) {
      const reason = resetReason;
      resetReason = null;
      await audit('watcher_budget_reset', true, { reason });
    }
    if (counters.failed !== null) {
      state = 'failed';
      if (counters.rollback != null && lkgOn()) await followRollback(counters.rollback);
      else await condition(() => woken || historyFull());
      continue;
    }
    const healthy = lkgOn() && lkg !== undefined ? { afterMs: lkg.healthyAfterMs, recordedStart: checkedStart } : {};
    const seen: WatchResult = await watch.watchWatcher({
      since: observation,
      ...observeInput(),
      pollMs: tuning.pollMs,
      maxWatchMs: tuning.maxWatchMs,
      ...(healthy.afterMs === undefined ? {} : { healthy }),
    });
    const found = seen.observation;
    observation = found;
    if (seen.healthy === true && seen.startedAt !== undefined) await recordLastKnownGood(seen.startedAt);
    if (found === 'running' || found === 'paused') {
      state = found;
      continue;
    }
    // A configuration change, not a failure: no budget, no backoff.
    if (found === 'changed') {
      await restartUnderLock(found);
      continue;
    }
    if (found === 'hung' && v11()) await reportHang(seen);
    state = 'stopped';
    counters.restartTimes = inWindow();
    if (counters.restartTimes.length >= tuning.maxRestarts) {
      await markFailed(found);
      continue;
    }
    if (counters.lastRestartAt !== null && Date.now() - counters.lastRestartAt >= tuning.backoffResetAfterMs)
      counters.consecutive = 0;
    backoffMs = backoffDelay(counters.consecutive, tuning.backoffInitialMs, tuning.backoffMaxMs);
    if (backoffMs > 0) {
      state = 'backoff';
      const interrupted = await condition(() => woken, backoffMs);
      backoffMs = 0;
      if (interrupted) continue;
    }
    await restartUnderLock(found);
  }
  await continueAsNew<typeof supervisor_keepalive>({ tuning, counters });

  async function markFailed(why: WatcherObservation): Promise<void> {
    const reason = `${counters.restartTimes.length} restarts within ${Math.round(tuning.windowMs / 1000)} s (budget ${tuning.maxRestarts}); watcher ${why} again`;
    counters.failed = { at: Date.now(), reason };
    state = 'failed';
    log.error('watcher marked failed: restart budget spent; no more restarts until resume_watcher or restart_watcher', {
      reason,
    });
    await audit('watcher_failed', false, {
      reason,
      restarts_in_window: counters.restartTimes.length,
      max_restarts: tuning.maxRestarts,
      window_ms: tuning.windowMs,
    });
    if (counters.lastKnownGood != null && lkgOn()) await offerRollback(counters.lastKnownGood.commit);
  }

  /** The watcher start passed the healthy period: HEAD is the last known good commit (none without a repo). */
  async function recordLastKnownGood(startedAt: string): Promise<void> {
    checkedStart = startedAt;
    const { commit } = await io.lastKnownGoodHead();
    if (commit === null) return;
    if (counters.lastKnownGood?.commit !== commit) log.info('last known good commit recorded', { commit, startedAt });
    counters.lastKnownGood = { commit, at: Date.now(), watcherStartedAt: startedAt };
  }

  /**
   * Crash loop: when an update moved HEAD away from the last known good commit within after_update, start
   * rollback_code for exactly those commits (asking for an approval unless auto_rollback). Audited either way.
   */
  async function offerRollback(good: string): Promise<void> {
    if (lkg === undefined) return;
    let plan;
    try {
      plan = await io.lastKnownGoodPlan({ lastKnownGood: good, afterUpdateMs: lkg.afterUpdateMs });
    } catch (failure) {
      await audit('last_known_good_skipped', false, { last_known_good: good, reason: failureMessage(failure) });
      return;
    }
    if (!plan.rollback) {
      log.warn('no last-known-good rollback', { reason: plan.reason, last_known_good: good, head: plan.head });
      await audit('last_known_good_skipped', false, { last_known_good: good, head: plan.head, reason: plan.reason });
      return;
    }
    const facts = {
      last_known_good: plan.lastKnownGood,
      head: plan.head,
      commits_back: plan.commitsBack,
      commits: plan.commits.map((commit) => `${commit.sha.slice(0, 12)} ${commit.subject}`),
      update_task: plan.updateTask,
      moved_at: plan.movedAt,
      mode: lkg.autoRollback ? 'auto' : 'awaiting approval',
    };
    try {
      const started = await io.startLastKnownGoodRollback({
        lastKnownGood: plan.lastKnownGood,
        head: plan.head,
        commitsBack: plan.commitsBack,
        autoRollback: lkg.autoRollback,
      });
      counters.rollback = {
        workflowId: started.workflowId,
        taskId: started.taskId,
        lastKnownGood: plan.lastKnownGood,
        head: plan.head,
        commitsBack: plan.commitsBack,
      };
      log.warn('last-known-good rollback started', { ...facts, task_id: started.taskId, started: started.started });
      await audit('last_known_good_rollback', true, { ...facts, task_id: started.taskId, started: started.started });
    } catch (failure) {
      await audit('last_known_good_rollback', false, { ...facts, error: failureMessage(failure) });
    }
  }

  /**
   * Failed, a rollback running: wait for its end (an activity that polls its run; the reset signal cancels the
   * wait). Succeeded: the budget is cleared as by the reset signal and the watcher is watched again.
   * Rejected, expired or failed: the keep-alive stays failed for an operator, as without a rollback.
   */
  async function followRollback(pending: NonNullable<KeepAliveCounters['rollback']>): Promise<void> {
    let outcome: RollbackWait | undefined;
    let error: string | undefined;
    const scope = new CancellationScope();
    const waiting = scope
      .run(() =>
        follow.awaitLastKnownGoodRollback({
          workflowId: pending.workflowId,
          maxWaitMs: tuning.maxWatchMs,
          pollMs: Math.max(tuning.pollMs, 1_000),
        }),
      )
      .then(
        (result) => {
          outcome = result;
        },
        (failure: unknown) => {
          error = failureMessage(failure);
        },
      );
    await condition(() => woken || outcome !== undefined || error !== undefined);
    if (outcome === undefined && error === undefined) {
      // The reset signal (which also forgot the rollback): the operator took over.
      scope.cancel();
      await waiting;
      return;
    }
    if (outcome?.done === false) return;
    counters.rollback = null;
    const succeeded = outcome?.success === true;
    const facts = {
      task_id: pending.taskId,
      last_known_good: pending.lastKnownGood,
      head: pending.head,
      status: outcome?.status ?? null,
      error: outcome?.error ?? error ?? null,
    };
    await audit('last_known_good_rollback_done', succeeded, facts);
    if (!succeeded) {
      log.error('last-known-good rollback did not succeed: watcher stays failed', facts);
      return;
    }
    log.warn('last-known-good rollback done: restart budget cleared, watching again', facts);
    Object.assign(counters, { restartTimes: [], consecutive: 0, failed: null });
    observation = null;
  }

  /** The lock keeps a restart from racing a handler that stopped the watcher on purpose. */
  async function restartUnderLock(why: WatcherObservation): Promise<void> {
    state = 'held';
    const ask = { handler: KEEPALIVE_LOCK_HANDLER, priority: KEEPALIVE_LOCK_PRIORITY, requestedAt: Date.now() };
    const granted = () => {
      state = 'restarting';
    };
    const quick = fast();
    await withWorkerLock(tuning.workerId, ask, granted, () => restart(why, quick), { local: quick });
  }

  async function restart(why: WatcherObservation, quick = false): Promise<void> {
    // The holder before us may have restarted or paused the watcher: then there is nothing to do. The quick path
    // looks and, when down, starts in one local activity; its token makes a second run of it report the first's start.
    const token = `${workflowInfo().runId}/${String(counters.total)}/${String(Date.now())}`;
    const { seen: again, started } = quick
      ? await near.restartWatcherIfDown({ ...observeInput(), token })
      : { seen: await io.observeWatcher(observeInput()), started: undefined };
    if (again.observation === 'running' || again.observation === 'paused') {
      observation = again.observation;
      state = again.observation;
      return;
    }
    if (again.observation === 'changed') {
      await replaceChanged(again);
      return;
    }
    const stopped =
      started !== undefined
        ? NOTHING_TO_STOP
        : again.observation === 'hung' && v11()
          ? await stop.stopWatcher({ reason: 'hang' })
          : await stop.stopWatcher();
    const { pid, error } = started ?? (await startOnce());
    // Only a start after a failure is a restart: not the first start (no pid file), nor one after the host
    // rebooted. A failed start spends budget like a crash: a watcher that cannot start must end in `failed`, not loop.
    const issue11 = v11();
    const counted =
      !issue11 ||
      again.observation === 'hung' ||
      again.crashed !== false ||
      error !== null ||
      // Behind its own patch: runs from before it counted such a start as a first one.
      (lastStartFailed && patched('keepalive-count-after-failed-start'));
    lastStartFailed = error !== null;
    if (counted) countRestart();
    observation = null;
    state = error === null ? 'running' : 'stopped';
    const action = counted ? 'watcher_restarted' : 'watcher_started';
    const facts = {
      reason: why,
      pid,
      error,
      stopped_by: stopped.stoppedBy,
      restarts_in_window: inWindow().length,
      ...(issue11 ? { counted, resumed: stopped.resumed ?? [] } : {}),
    };
    // A first start is routine (info); a restart after a failure is worth a warning.
    if (counted) log.warn('watcher restarted by the keep-alive', facts);
    else log.info('watcher started by the keep-alive (not a restart: nothing of ours was running)', facts);
    await audit(action, error === null, facts);
  }

  function observeInput() {
    return v11()
      ? { hangTimeoutMs: tuning.hangTimeoutMs, commandCheck: true }
      : { hangTimeoutMs: tuning.hangTimeoutMs };
  }

  async function startOnce(): Promise<{ pid: number | null; error: string | null }> {
    try {
      return { pid: (await start.startWatcher()).pid, error: null };
    } catch (failure) {
      return { pid: null, error: failureMessage(failure) };
    }
  }

  function countRestart(): void {
    const now = Date.now();
    counters.restartTimes = [...inWindow(), now];
    counters.consecutive += 1;
    counters.total += 1;
    counters.lastRestartAt = now;
  }

  /** Logged and audited when seen, before the backoff and the lock: the operator learns of a hang at once. */
  async function reportHang(seen: WatchResult): Promise<void> {
    const facts = { pid: seen.pid, heartbeat_age_ms: seen.heartbeatAgeMs, hang_timeout_ms: tuning.hangTimeoutMs };
    log.warn('watcher hung: no heartbeat within the hang timeout; it will be stopped and restarted', facts);
    await audit('watcher_hung', false, facts);
  }

  /** The running watcher is ours but not what the configuration names: replace it, outside the budget. */
  async function replaceChanged(seen: WatchResult): Promise<void> {
    const stopped = await stop.stopWatcher();
    const { pid, error } = await startOnce();
    if (error !== null) countRestart();
    observation = null;
    state = error === null ? 'running' : 'stopped';
    const facts = {
      from: seen.commandChange?.running ?? null,
      to: seen.commandChange?.configured ?? null,
      old_pid: seen.pid,
      pid,
      error,
      stopped_by: stopped.stoppedBy,
    };
    log.warn('watcher command line changed in the configuration: old watcher stopped, configured one started', facts);
    await audit('watcher_command_changed', error === null, facts);
  }

  /** An audit outage must not stop the keep-alive: the log has the same facts. */
  async function audit(action: string, success: boolean, details: Record<string, unknown>): Promise<void> {
    try {
      await io.recordAudit({
        task_id: null,
        handler: KEEPALIVE_LOCK_HANDLER,
        label: null,
        action,
        success,
        details,
        actor: 'supervisor',
      });
    } catch (failure) {
      log.warn('keep-alive audit row not written', { action, error: failureMessage(failure) });
    }
  }
}

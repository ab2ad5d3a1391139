/** Activity lifecycle: scheduling with server defaults, dispatch, attempts, timeouts, retries, final events. */
import type { L, pb } from '../wire/proto.js';
import type { Engine } from '../state/engine.js';
import type { Run, ActivityRuntime } from '../state/run.js';
import type { ActivityInfo } from '../state/mutable-state.js';
import type { ICommand, IFailure, IPayloads } from '../wire/proto.js';
import {
  EventType as E,
  RetryState,
  TimeoutType,
  durationMs,
  msDuration,
  optDuration,
  tsFromMs,
} from '../wire/proto.js';
import { decideRetry, timeoutFailure, validateRetryPolicy, withRetryDefaults } from './retry.js';
import { addWorkflowEvents, runTimerKey } from './wft-schedule.js';
import { nextGeneration } from '../state/mutable-state.js';
import type { PollContext } from '../state/matching.js';
import { encodeToken } from '../wire/tokens.js';

type ScheduleAttrs = L<pb.api.command.v1.IScheduleActivityTaskCommandAttributes>;
type PollResponse = L<pb.api.workflowservice.v1.IPollActivityTaskQueueResponse>;

/** Validates and fills in timeouts like the real server's command attribute validator. */
export function fillActivityAttributes(run: Run, cmd: ICommand): { attrs?: ScheduleAttrs; error?: string } {
  const a = { ...(cmd.scheduleActivityTaskCommandAttributes ?? {}) };
  if (!a.activityId) return { error: 'ActivityId is not set on command.' };
  if (!a.activityType?.name) return { error: 'ActivityType is not set on command.' };
  if (run.ms.activityIds.has(a.activityId)) return { error: `Activity ID ${a.activityId} is already in use.` };
  const policyError = validateRetryPolicy(a.retryPolicy);
  if (policyError) return { error: policyError };
  const runTimeout = run.ms.runTimeoutMs;
  let s2c = durationMs(a.scheduleToCloseTimeout);
  let s2s = durationMs(a.scheduleToStartTimeout);
  let stc = durationMs(a.startToCloseTimeout);
  let hb = durationMs(a.heartbeatTimeout);
  if (s2c < 0 || s2s < 0 || stc < 0 || hb < 0) return { error: 'A valid timeout may not be negative.' };
  if (s2c > 0) {
    s2s = s2s > 0 ? Math.min(s2s, s2c) : s2c;
    stc = stc > 0 ? Math.min(stc, s2c) : s2c;
  } else if (stc > 0) {
    // Zero (no deadline) when the run has no timeout; still sent as a present duration, as the server does.
    s2c = runTimeout;
    if (s2s === 0) s2s = runTimeout;
  } else {
    return { error: 'A valid StartToClose or ScheduleToCloseTimeout is not set on command.' };
  }
  if (runTimeout > 0) {
    s2c = Math.min(s2c, runTimeout);
    s2s = Math.min(s2s, runTimeout);
    stc = Math.min(stc, runTimeout);
    hb = Math.min(hb, runTimeout);
  }
  hb = Math.min(hb, stc);
  return {
    attrs: {
      ...a,
      taskQueue: a.taskQueue?.name ? a.taskQueue : { name: run.ms.taskQueue, kind: 1 },
      scheduleToCloseTimeout: msDuration(s2c),
      scheduleToStartTimeout: msDuration(s2s),
      startToCloseTimeout: msDuration(stc),
      heartbeatTimeout: optDuration(hb),
      retryPolicy: withRetryDefaults(a.retryPolicy),
    },
  };
}

export function scheduleActivity(engine: Engine, run: Run, attrs: ScheduleAttrs, completedId: number): void {
  const ev = run.append(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
    activityTaskScheduledEventAttributes: {
      activityId: attrs.activityId,
      activityType: attrs.activityType,
      taskQueue: attrs.taskQueue,
      header: attrs.header,
      input: attrs.input,
      scheduleToCloseTimeout: attrs.scheduleToCloseTimeout,
      scheduleToStartTimeout: attrs.scheduleToStartTimeout,
      startToCloseTimeout: attrs.startToCloseTimeout,
      heartbeatTimeout: attrs.heartbeatTimeout,
      workflowTaskCompletedEventId: completedId,
      retryPolicy: attrs.retryPolicy,
      priority: attrs.priority,
    },
  });
  const info = run.ms.activities.get(Number(ev.eventId)) as ActivityInfo;
  if (info.scheduleToCloseMs > 0) {
    engine.timers.set(actKey(run, info, 's2c'), info.scheduleToCloseMs, () => {
      onTimeout(engine, run, info.scheduledId, 0, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE);
    });
  }
  queueAttempt(engine, run, info, FIRST, 0);
}

function actKey(run: Run, info: ActivityInfo, what: string): string {
  return runTimerKey(run, `act:${info.scheduledId}:${what}`);
}

type Carry = Pick<ActivityRuntime, 'attempt' | 'heartbeatDetails' | 'lastFailure' | 'lastIdentity'>;
const FIRST: Carry = { attempt: 1, heartbeatDetails: null, lastFailure: null, lastIdentity: '' };

function queueAttempt(engine: Engine, run: Run, info: ActivityInfo, carry: Carry, delayMs: number): void {
  const rt: ActivityRuntime = {
    ...carry,
    state: delayMs > 0 ? 'backoff' : 'scheduled',
    attemptScheduledTime: Date.now() + delayMs,
    startedTime: 0,
    identity: '',
    lastAttemptCompleteTime: carry.attempt > 1 ? Date.now() : 0,
    retryIntervalMs: delayMs,
    lastHeartbeatTime: 0,
    generation: nextGeneration(),
  };
  run.extras.activities.set(info.scheduledId, rt);
  run.touch();
  const enqueue = (): void => {
    rt.state = 'scheduled';
    rt.attemptScheduledTime = Date.now();
    run.touch();
    engine.matching.offer<PollResponse>(run.namespace, 'activity', info.taskQueue, (ctx) =>
      startActivity(engine, run, info.scheduledId, rt.generation, ctx),
    );
    if (info.scheduleToStartMs > 0) {
      engine.timers.set(actKey(run, info, 's2s'), info.scheduleToStartMs, () => {
        onTimeout(engine, run, info.scheduledId, rt.generation, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
      });
    }
  };
  if (delayMs > 0) engine.timers.set(actKey(run, info, 'retry'), delayMs, enqueue);
  else enqueue();
}

/**
 * Re-derives an activity's queue entry and timers after a restore. A started attempt stays started, as on the
 * real server: the worker may still report it, and its start-to-close/heartbeat timeouts (from the recorded
 * times, so one that expired while the engine was down fires at once) hand it out again otherwise.
 */
export function dispatchPendingActivity(engine: Engine, run: Run, info: ActivityInfo): void {
  const rt = run.extras.activities.get(info.scheduledId);
  const now = Date.now();
  if (info.scheduleToCloseMs > 0) {
    engine.timers.set(actKey(run, info, 's2c'), info.scheduledTime + info.scheduleToCloseMs - now, () => {
      onTimeout(engine, run, info.scheduledId, 0, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE);
    });
  }
  if (rt?.state === 'started') {
    const generation = rt.generation;
    engine.timers.set(actKey(run, info, 'stc'), rt.startedTime + info.startToCloseMs - now, () => {
      onTimeout(engine, run, info.scheduledId, generation, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
    });
    if (info.heartbeatMs > 0) {
      engine.timers.set(
        actKey(run, info, 'hb'),
        Math.max(rt.lastHeartbeatTime, rt.startedTime) + info.heartbeatMs - now,
        () => {
          onTimeout(engine, run, info.scheduledId, generation, TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
        },
      );
    }
    return;
  }
  const delay = rt?.state === 'backoff' ? Math.max(1, rt.attemptScheduledTime - now) : 0;
  queueAttempt(engine, run, info, rt ?? FIRST, delay);
}

function startActivity(
  engine: Engine,
  run: Run,
  scheduledId: number,
  generation: number,
  ctx: PollContext,
): PollResponse | null {
  const info = run.ms.activities.get(scheduledId);
  const rt = run.extras.activities.get(scheduledId);
  if (!run.isOpen || !info || !rt || rt.generation !== generation || rt.state !== 'scheduled') return null;
  engine.timers.clear(actKey(run, info, 's2s'));
  rt.state = 'started';
  rt.startedTime = Date.now();
  rt.identity = ctx.identity;
  // Written before the poll answers, so a worker's result for this attempt is accepted after a restart.
  run.touch();
  engine.timers.set(actKey(run, info, 'stc'), info.startToCloseMs, () => {
    onTimeout(engine, run, scheduledId, generation, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
  });
  armHeartbeatTimer(engine, run, info, rt);
  return {
    taskToken: encodeToken({
      k: 'act',
      ns: run.namespace,
      wid: run.workflowId,
      rid: run.runId,
      sid: scheduledId,
      att: rt.attempt,
      aid: info.activityId,
    }),
    workflowNamespace: run.namespace,
    workflowType: { name: run.ms.workflowType },
    workflowExecution: run.execution,
    activityType: { name: info.activityType },
    activityId: info.activityId,
    header: info.header,
    input: info.input,
    heartbeatDetails: rt.heartbeatDetails,
    scheduledTime: tsFromMs(info.scheduledTime),
    currentAttemptScheduledTime: tsFromMs(rt.attemptScheduledTime),
    startedTime: tsFromMs(rt.startedTime),
    attempt: rt.attempt,
    scheduleToCloseTimeout: msDuration(info.scheduleToCloseMs),
    startToCloseTimeout: msDuration(info.startToCloseMs),
    heartbeatTimeout: optDuration(info.heartbeatMs),
    retryPolicy: info.retryPolicy,
  };
}

export function armHeartbeatTimer(engine: Engine, run: Run, info: ActivityInfo, rt: ActivityRuntime): void {
  if (info.heartbeatMs <= 0) return;
  const generation = rt.generation;
  engine.timers.set(actKey(run, info, 'hb'), info.heartbeatMs, () => {
    onTimeout(engine, run, info.scheduledId, generation, TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
  });
}

function clearAttemptTimers(engine: Engine, run: Run, info: ActivityInfo): void {
  for (const what of ['s2s', 'stc', 'hb', 'retry']) engine.timers.clear(actKey(run, info, what));
}

function onTimeout(engine: Engine, run: Run, scheduledId: number, generation: number, timeoutType: number): void {
  const info = run.ms.activities.get(scheduledId);
  const rt = run.extras.activities.get(scheduledId);
  if (!run.isOpen || !info || !rt || (generation !== 0 && rt.generation !== generation)) return;
  engine.logger.debug(
    { workflowId: run.workflowId, activityId: info.activityId, attempt: rt.attempt, timeoutType },
    'activity timed out',
  );
  const failure = timeoutFailure(timeoutType, rt.heartbeatDetails);
  const retryable =
    timeoutType === TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE || timeoutType === TimeoutType.TIMEOUT_TYPE_HEARTBEAT;
  if (retryable && retryAttempt(engine, run, info, rt, failure, rt.heartbeatDetails)) return;
  const retryState = retryable
    ? decideRetry(info.retryPolicy, rt.attempt, failure, expiration(info)).retryState
    : timeoutType === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
      ? RetryState.RETRY_STATE_TIMEOUT
      : RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
  finish(engine, run, info, rt, (startedId) => [
    E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    {
      activityTaskTimedOutEventAttributes: {
        failure: { ...failure, cause: rt.lastFailure },
        scheduledEventId: info.scheduledId,
        startedEventId: startedId,
        retryState,
      },
    },
  ]);
}

function expiration(info: ActivityInfo): number {
  return info.scheduleToCloseMs > 0 ? info.scheduledTime + info.scheduleToCloseMs : 0;
}

/** Schedules the next attempt if the policy allows; returns false when the failure is final. */
function retryAttempt(
  engine: Engine,
  run: Run,
  info: ActivityInfo,
  rt: ActivityRuntime,
  failure: IFailure,
  details: IPayloads | null | undefined,
): boolean {
  const decision = decideRetry(info.retryPolicy, rt.attempt, failure, expiration(info));
  if (!decision.retry) return false;
  clearAttemptTimers(engine, run, info);
  queueAttempt(
    engine,
    run,
    info,
    {
      attempt: rt.attempt + 1,
      heartbeatDetails: details ?? rt.heartbeatDetails,
      lastFailure: failure,
      lastIdentity: rt.identity,
    },
    decision.delayMs,
  );
  return true;
}

type CloseEvent = [number, Parameters<Run['append']>[1]];

/** Writes ActivityTaskStarted (deferred until the end, as the real server does with retry policies) and the close event. */
function finish(
  engine: Engine,
  run: Run,
  info: ActivityInfo,
  rt: ActivityRuntime,
  close: (startedId: number) => CloseEvent,
): void {
  clearAttemptTimers(engine, run, info);
  engine.timers.clear(actKey(run, info, 's2c'));
  run.extras.activities.delete(info.scheduledId);
  addWorkflowEvents(engine, run, (add) => {
    let startedId = 0;
    if (rt.state === 'started') {
      startedId = add(E.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
        activityTaskStartedEventAttributes: {
          scheduledEventId: info.scheduledId,
          identity: rt.identity,
          requestId: `${rt.generation}`,
          attempt: rt.attempt,
          lastFailure: rt.lastFailure,
        },
      });
    }
    const [type, attrs] = close(startedId);
    add(type, attrs);
  });
}

export type ActivityOutcome =
  | { kind: 'completed'; result?: IPayloads | null; identity: string }
  | { kind: 'failed'; failure?: IFailure | null; details?: IPayloads | null; identity: string }
  | { kind: 'canceled'; details?: IPayloads | null; identity: string };

/** Applies a worker's result for the current attempt (already validated as started). */
export function resolveActivity(
  engine: Engine,
  run: Run,
  info: ActivityInfo,
  rt: ActivityRuntime,
  outcome: ActivityOutcome,
): void {
  if (outcome.kind === 'completed') {
    finish(engine, run, info, rt, (startedId) => [
      E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
      {
        activityTaskCompletedEventAttributes: {
          result: outcome.result,
          scheduledEventId: info.scheduledId,
          startedEventId: startedId,
          identity: outcome.identity,
        },
      },
    ]);
  } else if (outcome.kind === 'failed') {
    const failure = outcome.failure ?? { message: 'activity failed', applicationFailureInfo: {} };
    if (retryAttempt(engine, run, info, rt, failure, outcome.details)) return;
    const retryState = decideRetry(info.retryPolicy, rt.attempt, failure, expiration(info)).retryState;
    finish(engine, run, info, rt, (startedId) => [
      E.EVENT_TYPE_ACTIVITY_TASK_FAILED,
      {
        activityTaskFailedEventAttributes: {
          failure,
          scheduledEventId: info.scheduledId,
          startedEventId: startedId,
          identity: outcome.identity,
          retryState,
        },
      },
    ]);
  } else {
    finish(engine, run, info, rt, (startedId) => [
      E.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
      {
        activityTaskCanceledEventAttributes: {
          details: outcome.details,
          scheduledEventId: info.scheduledId,
          startedEventId: startedId,
          identity: outcome.identity,
          latestCancelRequestedEventId: cancelRequestedId(run, info.scheduledId),
        },
      },
    ]);
  }
}

function cancelRequestedId(run: Run, scheduledId: number): number {
  for (let i = run.events.length - 1; i >= 0; i--) {
    const ev = run.events[i];
    if (
      ev?.eventType === E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED &&
      Number(ev.activityTaskCancelRequestedEventAttributes?.scheduledEventId) === scheduledId
    ) {
      return Number(ev.eventId);
    }
  }
  return 0;
}

/**
 * RequestCancelActivityTask command: returns true if the activity was not started and is canceled at once.
 * An activity that already ended while this workflow task was in flight (its close events wait in the
 * buffer) keeps its outcome: the request is recorded and nothing else, as the real server does.
 */
export function requestCancelActivity(engine: Engine, run: Run, info: ActivityInfo, completedId: number): boolean {
  const req = run.append(E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
    activityTaskCancelRequestedEventAttributes: {
      scheduledEventId: info.scheduledId,
      workflowTaskCompletedEventId: completedId,
    },
  });
  const rt = run.extras.activities.get(info.scheduledId);
  if (rt === undefined || rt.state === 'started') return false;
  clearAttemptTimers(engine, run, info);
  engine.timers.clear(actKey(run, info, 's2c'));
  run.extras.activities.delete(info.scheduledId);
  run.append(E.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
    activityTaskCanceledEventAttributes: {
      scheduledEventId: info.scheduledId,
      startedEventId: 0,
      latestCancelRequestedEventId: req.eventId,
      identity: '',
    },
  });
  return true;
}

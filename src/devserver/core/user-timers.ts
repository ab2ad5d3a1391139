/** Workflow timers (StartTimer/CancelTimer commands); the engine timer is derived from the TimerStarted event. */
import type { L, pb } from '../wire/proto.js';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';

import { EventType as E } from '../wire/proto.js';
import { addWorkflowEvent, runTimerKey } from './wft-schedule.js';

type StartAttrs = L<pb.api.command.v1.IStartTimerCommandAttributes>;

export function startUserTimer(engine: Engine, run: Run, attrs: StartAttrs, completedId: number): void {
  run.append(E.EVENT_TYPE_TIMER_STARTED, {
    timerStartedEventAttributes: {
      timerId: attrs.timerId,
      startToFireTimeout: attrs.startToFireTimeout,
      workflowTaskCompletedEventId: completedId,
    },
  });
  armUserTimer(engine, run, attrs.timerId ?? '');
}

/** Arms the engine timer for a pending workflow timer from mutable state. */
export function armUserTimer(engine: Engine, run: Run, timerId: string): void {
  const timer = run.ms.timers.get(timerId);
  if (!timer) return;
  const startedId = timer.startedId;
  engine.timers.set(runTimerKey(run, `timer:${timerId}`), timer.fireAt - Date.now(), () => {
    const current = run.ms.timers.get(timerId);
    if (!run.isOpen || !current || current.startedId !== startedId) return;
    run.ms.timers.delete(timerId);
    addWorkflowEvent(engine, run, E.EVENT_TYPE_TIMER_FIRED, {
      timerFiredEventAttributes: { timerId, startedEventId: startedId },
    });
  });
}

export function cancelUserTimer(engine: Engine, run: Run, timerId: string, completedId: number): void {
  let startedId = run.ms.timers.get(timerId)?.startedId;
  if (startedId === undefined) {
    // Fired while the task ran: the workflow canceled it first, so the buffered TimerFired is dropped.
    const i = run.buffered.findIndex((ev) => ev.timerFiredEventAttributes?.timerId === timerId);
    if (i < 0) return;
    startedId = Number(run.buffered[i]?.timerFiredEventAttributes?.startedEventId);
    run.buffered.splice(i, 1);
  }
  engine.timers.clear(runTimerKey(run, `timer:${timerId}`));
  run.append(E.EVENT_TYPE_TIMER_CANCELED, {
    timerCanceledEventAttributes: {
      timerId,
      startedEventId: startedId,
      workflowTaskCompletedEventId: completedId,
      identity: '',
    },
  });
}

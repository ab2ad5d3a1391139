import { describe, expect, it } from '@jest/globals';
import { eventsOfType, eventTypes, millis, useHarness } from './helpers.js';

const h = useHarness();

describe('timers', () => {
  it('fires a timer no earlier than its duration', async () => {
    const taskQueue = h.taskQueue('timer');
    const workflowId = h.workflowId('timer');
    const result = await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('sleepThenReturn', { taskQueue, workflowId, args: [1000, 'awake'] });
      h.track(handle);
      return await handle.result();
    });
    expect(result.value).toBe('awake');
    expect(result.elapsed).toBeGreaterThanOrEqual(1000);
    const history = await h.history(workflowId);
    const started = eventsOfType(history, 'TIMER_STARTED')[0];
    const fired = eventsOfType(history, 'TIMER_FIRED')[0];
    expect(Number(started?.timerStartedEventAttributes?.startToFireTimeout?.seconds)).toBe(1);
    expect(fired?.timerFiredEventAttributes?.timerId).toBe(started?.timerStartedEventAttributes?.timerId);
    expect(fired?.timerFiredEventAttributes?.startedEventId?.toString()).toBe(started?.eventId?.toString());
    expect(millis(fired?.eventTime) - millis(started?.eventTime)).toBeGreaterThanOrEqual(990);
  });

  it('fires concurrent timers in duration order', async () => {
    const taskQueue = h.taskQueue('order');
    const result = await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('timerOrder', {
        taskQueue,
        workflowId: h.workflowId('order'),
        args: [[600, 100, 300]],
      });
      h.track(handle);
      return await handle.result();
    });
    expect(result).toEqual([100, 300, 600]);
  });

  it('cancels a timer: TimerCanceled and no TimerFired for it', async () => {
    const taskQueue = h.taskQueue('cancel-timer');
    const workflowId = h.workflowId('cancel-timer');
    const result = await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('cancelTimer', { taskQueue, workflowId, args: [50] });
      h.track(handle);
      return await handle.result();
    });
    expect(result).toBe('long timer cancelled');
    const history = await h.history(workflowId);
    const types = eventTypes(history);
    expect(types.filter((t) => t === 'TIMER_STARTED')).toHaveLength(2);
    expect(types.filter((t) => t === 'TIMER_FIRED')).toHaveLength(1);
    const canceled = eventsOfType(history, 'TIMER_CANCELED');
    expect(canceled).toHaveLength(1);
    const longTimer = eventsOfType(history, 'TIMER_STARTED').find(
      (e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds) === 60,
    );
    expect(canceled[0]?.timerCanceledEventAttributes?.timerId).toBe(longTimer?.timerStartedEventAttributes?.timerId);
  });

  it('keeps a pending timer across worker restarts and fires it for the next worker', async () => {
    const taskQueue = h.taskQueue('timer-restart');
    const workflowId = h.workflowId('timer-restart');
    await h.withWorker({ taskQueue }, async () => {
      h.track(await h.client.workflow.start('sleepThenReturn', { taskQueue, workflowId, args: [1500, 'later'] }));
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    const result = await h.withWorker({ taskQueue }, () => h.client.workflow.getHandle(workflowId).result());
    expect(result.value).toBe('later');
  });
});

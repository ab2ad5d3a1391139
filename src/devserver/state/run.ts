/** One workflow run: its history (source of truth), buffered events, derived mutable state, extras. */
import type { IFailure, IHistoryEvent, IPayloads } from '../wire/proto.js';
import { num, temporal, tsFromMs } from '../wire/proto.js';
import { applyEvent, newMutableState } from './mutable-state.js';
import type { MutableState } from './mutable-state.js';

/** Per-attempt activity bookkeeping; like the real server's ActivityInfo it is not part of history. */
export interface ActivityRuntime {
  attempt: number;
  state: 'scheduled' | 'started' | 'backoff';
  attemptScheduledTime: number;
  startedTime: number;
  identity: string;
  /** Worker identity of the previous attempt, shown by Describe while the next one waits. */
  lastIdentity: string;
  /** When the previous attempt ended and the backoff before this one (Describe's retry fields). */
  lastAttemptCompleteTime: number;
  retryIntervalMs: number;
  heartbeatDetails: IPayloads | null | undefined;
  lastHeartbeatTime: number;
  lastFailure: IFailure | null;
  generation: number;
}

/** State the real server keeps in mutable state but not in history (part 2 snapshots it). */
export interface RunExtras {
  startRequestId: string;
  sticky: { queue: string; scheduleToStartMs: number } | null;
  /** Start request ids that map to this run (idempotent starts). */
  requestIds: Set<string>;
  signalRequestIds: Set<string>;
  cancelRequestIds: Set<string>;
  activities: Map<number, ActivityRuntime>;
  /** Run id of the retry run started when this run failed or timed out with a retry policy. */
  retriedAs?: string;
  /** True while the first workflow task waits for a start delay / retry / continue-as-new backoff. */
  awaitingBackoff?: boolean;
}

let taskIdCounter = 1_048_576;

function encodedSize(ev: IHistoryEvent): number {
  try {
    return temporal.api.history.v1.HistoryEvent.encode(
      ev as Parameters<typeof temporal.api.history.v1.HistoryEvent.encode>[0],
    ).len;
  } catch {
    return 0;
  }
}

export class Run {
  readonly events: IHistoryEvent[] = [];
  /** Encoded size of the history so far (WorkflowTaskStarted.historySizeBytes). */
  historySizeBytes = 0;
  buffered: IHistoryEvent[] = [];
  readonly ms: MutableState = newMutableState();
  readonly extras: RunExtras;
  /** Set by the store: told about every change a durable store must write (history, buffer, extras). */
  onTouch: ((run: Run) => void) | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly namespace: string,
    readonly workflowId: string,
    readonly runId: string,
    startRequestId: string,
  ) {
    this.extras = {
      startRequestId,
      sticky: null,
      requestIds: new Set([startRequestId]),
      signalRequestIds: new Set(),
      cancelRequestIds: new Set(),
      activities: new Map(),
    };
  }

  get isOpen(): boolean {
    return this.ms.status === 'Running';
  }

  get wftInFlight(): boolean {
    return (this.ms.wft?.startedId ?? 0) > 0;
  }

  get execution(): { workflowId: string; runId: string } {
    return { workflowId: this.workflowId, runId: this.runId };
  }

  /** Appends an event to history now, assigning id and time, and applies it to mutable state. */
  append(eventType: number, attributes: IHistoryEvent, at = Date.now()): IHistoryEvent {
    taskIdCounter += 1;
    const ev: IHistoryEvent = {
      ...attributes,
      eventId: this.ms.nextEventId,
      eventTime: tsFromMs(at),
      eventType,
      taskId: taskIdCounter,
    };
    this.events.push(ev);
    this.historySizeBytes += encodedSize(ev);
    applyEvent(this.ms, ev);
    this.touch();
    this.notify();
    return ev;
  }

  /** Marks state outside history (attempts, heartbeats, transient tasks) as changed. */
  touch(): void {
    this.onTouch?.(this);
  }

  /** Re-applies a persisted event (rebuilding a run from its history). */
  restore(ev: IHistoryEvent): void {
    // Task ids keep increasing across restarts, as they do on the real server.
    taskIdCounter = Math.max(taskIdCounter, num(ev.taskId));
    this.events.push(ev);
    this.historySizeBytes += encodedSize(ev);
    applyEvent(this.ms, ev);
  }

  /** Events from outside a running workflow task wait until it finishes, as on the real server. */
  appendOrBuffer(eventType: number, attributes: IHistoryEvent): IHistoryEvent | null {
    if (this.wftInFlight) {
      this.buffered.push({ ...attributes, eventType, eventTime: tsFromMs(Date.now()) });
      this.touch();
      return null;
    }
    return this.append(eventType, attributes);
  }

  /** Writes buffered events; activity close events get the id their buffered Started event just received. */
  flushBuffered(): boolean {
    const pending = this.buffered;
    this.buffered = [];
    const startedIds = new Map<number, number>();
    for (const ev of pending) {
      const close =
        ev.activityTaskCompletedEventAttributes ??
        ev.activityTaskFailedEventAttributes ??
        ev.activityTaskTimedOutEventAttributes ??
        ev.activityTaskCanceledEventAttributes;
      if (close && Number(close.startedEventId) === -1)
        close.startedEventId = startedIds.get(Number(close.scheduledEventId)) ?? 0;
      const written = this.append(ev.eventType ?? 0, ev);
      const started = written.activityTaskStartedEventAttributes;
      if (started) startedIds.set(Number(started.scheduledEventId), Number(written.eventId));
    }
    return pending.length > 0;
  }

  /** Resolves when history changes or after `timeoutMs`, or when `signal` aborts. */
  waitForChange(signal: AbortSignal, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.waiters.add(done);
      signal.addEventListener('abort', done);
    });
  }

  /** Waits (re-checking on every history change) until `done()` holds, the deadline passes or `signal` aborts. */
  async waitForChangeUntil(done: () => boolean, signal: AbortSignal, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && !signal.aborted && Date.now() < deadline) {
      await this.waitForChange(signal, deadline - Date.now());
    }
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

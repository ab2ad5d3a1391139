/**
 * Per-run registry of Workflow Updates, like the server's update.Registry. Accepted and completed updates are
 * rebuilt from history (WorkflowExecutionUpdateAccepted/Completed events), so a restored run knows them; admitted
 * and sent updates live in memory only, as on the real server (a client retries an update lost that way).
 */
import type { L, pb } from '../wire/proto.js';
import type { Run } from '../state/run.js';
import { EventType as E, num } from '../wire/proto.js';

export type UpdateRequest = L<pb.api.update.v1.IRequest>;
export type UpdateOutcome = L<pb.api.update.v1.IOutcome>;
export type UpdateState = 'admitted' | 'sent' | 'accepted' | 'completed' | 'rejected' | 'aborted';

export interface UpdateEntry {
  id: string;
  state: UpdateState;
  request: UpdateRequest;
  acceptedEventId: number;
  outcome: UpdateOutcome | null;
  /** Set when the update ended with an RPC error instead of an outcome (aborted). */
  error: Error | null;
  readonly waiters: Set<() => void>;
}

interface Registry {
  updates: Map<string, UpdateEntry>;
  /** History length already scanned for update events. */
  scanned: number;
}

const registries = new WeakMap<Run, Registry>();

function newEntry(id: string, request: UpdateRequest, state: UpdateState): UpdateEntry {
  return { id, state, request, acceptedEventId: 0, outcome: null, error: null, waiters: new Set() };
}

/** The run's registry, brought up to date with any update events appended (or restored) since the last look. */
export function registryOf(run: Run): Map<string, UpdateEntry> {
  let r = registries.get(run);
  if (!r) {
    r = { updates: new Map(), scanned: 0 };
    registries.set(run, r);
  }
  for (; r.scanned < run.events.length; r.scanned++) {
    const ev = run.events[r.scanned];
    if (ev) applyUpdateEvent(r.updates, ev);
  }
  return r.updates;
}

function applyUpdateEvent(updates: Map<string, UpdateEntry>, ev: L<pb.api.history.v1.IHistoryEvent>): void {
  if (ev.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) {
    const a = ev.workflowExecutionUpdateAcceptedEventAttributes ?? {};
    const id = a.protocolInstanceId ?? '';
    const entry = updates.get(id) ?? newEntry(id, a.acceptedRequest ?? {}, 'accepted');
    entry.state = 'accepted';
    entry.acceptedEventId = num(ev.eventId);
    updates.set(id, entry);
    notify(entry);
  } else if (ev.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) {
    const a = ev.workflowExecutionUpdateCompletedEventAttributes ?? {};
    const id = a.meta?.updateId ?? '';
    const entry = updates.get(id) ?? newEntry(id, {}, 'completed');
    entry.state = 'completed';
    entry.acceptedEventId ||= num(a.acceptedEventId);
    entry.outcome = a.outcome ?? {};
    updates.set(id, entry);
    notify(entry);
  }
}

export function admitUpdate(run: Run, id: string, request: UpdateRequest): UpdateEntry {
  const entry = newEntry(id, request, 'admitted');
  registryOf(run).set(id, entry);
  return entry;
}

export function notify(entry: UpdateEntry): void {
  for (const w of [...entry.waiters]) w();
}

/** Ends an update that never reaches history: rejected (outcome) or aborted (error). */
export function settle(run: Run, entry: UpdateEntry, how: { outcome?: UpdateOutcome; error?: Error }): void {
  entry.state = how.error ? 'aborted' : entry.state === 'accepted' ? 'accepted' : 'rejected';
  entry.outcome = how.outcome ?? null;
  entry.error = how.error ?? null;
  // Rejected and aborted updates leave the registry, so their id may be used again, as on the server.
  if (entry.state !== 'accepted') registryOf(run).delete(entry.id);
  notify(entry);
}

/** Updates the next workflow task must carry (admitted, or sent to a task that failed). */
export function hasOutgoing(run: Run): boolean {
  for (const e of registryOf(run).values()) if (e.state === 'admitted') return true;
  return false;
}

/** 1 admitted, 2 accepted, 3 completed: the LifecycleStage reached (rejections and aborts count as completed). */
export function stageOf(entry: UpdateEntry): number {
  if (entry.outcome || entry.error) return 3;
  if (entry.state === 'accepted') return 2;
  return 1;
}

/** Waits until the entry reaches `stage`, the deadline passes, or `signal` aborts. */
export async function waitForStage(
  entry: UpdateEntry,
  stage: number,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (stageOf(entry) < stage && !signal.aborted && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        entry.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, deadline - Date.now());
      timer.unref();
      entry.waiters.add(done);
      signal.addEventListener('abort', done);
    });
  }
}

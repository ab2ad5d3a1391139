import { setTimeout as delay } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { auditRowKey } from '../audit/record.js';

/** What long activities need from Temporal: heartbeats, cancellation and a cancellable sleep. */
export interface ActivityHooks {
  heartbeat(details?: unknown): void;
  /** Aborted when the activity is cancelled; undefined outside an activity. */
  signal: AbortSignal | undefined;
  /** Sleeps `ms`; inside an activity it throws CancelledFailure as soon as cancellation arrives. */
  sleep(ms: number): Promise<void>;
  /** Throws the CancelledFailure when cancellation was requested. */
  throwIfCancelled(): void;
}

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    // Called outside an activity (CLI run-once, a unit test of the plain function): no Temporal hooks.
    return undefined;
  }
}

/** The hooks of the running activity, or quiet no-ops when the code runs outside Temporal. */
export function activityHooks(): ActivityHooks {
  const context = current();
  if (context === undefined) {
    return {
      heartbeat: () => undefined,
      signal: undefined,
      sleep: (ms) => delay(ms),
      throwIfCancelled: () => undefined,
    };
  }
  const signal = context.cancellationSignal;
  // A local activity has no server-side heartbeat: its workflow task stands for it.
  const local = context.info.isLocal;
  return {
    heartbeat: (details) => {
      if (!local) context.heartbeat(details);
    },
    signal,
    sleep: (ms) => context.sleep(ms),
    throwIfCancelled: () => {
      if (signal.aborted) throw signal.reason;
    },
  };
}

/**
 * The idempotency key of the audit row this activity records as `name`: the same on every retry of the
 * activity (workflow, run, activity id), so the row lands once; a random key outside an activity.
 */
export function activityAuditKey(name: string): string {
  const info = current()?.info;
  const execution = info?.workflowExecution;
  if (info === undefined || execution === undefined) return auditRowKey();
  return auditRowKey([execution.workflowId, execution.runId, info.activityId, name]);
}

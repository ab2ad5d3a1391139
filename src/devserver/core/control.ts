/** Requests that add an event to an open run from outside: signal, cancel request (termination closes it: close.ts). */
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { IHeader, IPayloads } from '../wire/proto.js';
import { EventType as E } from '../wire/proto.js';
import { addWorkflowEvent } from './wft-schedule.js';

export interface ExternalRef {
  initiatedId: number;
  execution: { workflowId: string; runId: string };
  namespace?: string;
}

export function signalRun(
  engine: Engine,
  run: Run,
  signal: {
    name: string;
    input?: IPayloads | null;
    header?: IHeader | null;
    identity: string;
    requestId?: string | null;
  },
  external?: ExternalRef,
): void {
  if (signal.requestId) {
    if (run.extras.signalRequestIds.has(signal.requestId)) return;
    run.extras.signalRequestIds.add(signal.requestId);
  }
  addWorkflowEvent(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
    workflowExecutionSignaledEventAttributes: {
      signalName: signal.name,
      input: signal.input,
      identity: signal.identity,
      header: signal.header,
      externalWorkflowExecution: external?.execution ?? null,
    },
  });
}

export function requestCancelRun(
  engine: Engine,
  run: Run,
  reason: string,
  identity: string,
  requestId: string,
  external?: ExternalRef,
): void {
  if (requestId && run.extras.cancelRequestIds.has(requestId)) return;
  if (requestId) run.extras.cancelRequestIds.add(requestId);
  if (run.ms.cancelRequested) return;
  addWorkflowEvent(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
    workflowExecutionCancelRequestedEventAttributes: {
      cause: reason,
      identity,
      externalInitiatedEventId: external?.initiatedId ?? 0,
      externalWorkflowExecution: external?.execution ?? null,
    },
  });
}

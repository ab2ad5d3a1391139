/** Requests that act on a run from outside: signal, cancel request, termination. */
import type { Engine } from './engine.js';
import type { Run } from './run.js';
import type { IHeader, IPayloads } from './proto.js';
import { EventType as E, WorkflowTaskFailedCause } from './proto.js';
import { addWorkflowEvent, endWorkflowTask } from './wft-schedule.js';
import { onRunClosed } from './close.js';

export interface ExternalRef {
  initiatedId: number;
  execution: { workflowId: string; runId: string };
  namespace?: string;
}

export function signalRun(
  engine: Engine,
  run: Run,
  signal: { name: string; input?: IPayloads | null; header?: IHeader | null; identity: string; requestId?: string | null },
  external?: ExternalRef,
): void {
  if (signal.requestId) {
    if (run.extras.signalRequestIds.has(signal.requestId)) return;
    run.extras.signalRequestIds.add(signal.requestId);
  }
  addWorkflowEvent(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
    workflowExecutionSignaledEventAttributes: {
      signalName: signal.name, input: signal.input, identity: signal.identity, header: signal.header,
      externalWorkflowExecution: external?.execution ?? null,
    },
  });
}

export function requestCancelRun(engine: Engine, run: Run, reason: string, identity: string, requestId: string, external?: ExternalRef): void {
  if (requestId && run.extras.cancelRequestIds.has(requestId)) return;
  if (requestId) run.extras.cancelRequestIds.add(requestId);
  if (run.ms.cancelRequested) return;
  addWorkflowEvent(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
    workflowExecutionCancelRequestedEventAttributes: {
      cause: reason, identity, externalInitiatedEventId: external?.initiatedId ?? 0, externalWorkflowExecution: external?.execution ?? null,
    },
  });
}

/** Closes an open run with a terminal event written outside a workflow task (terminate, timeouts). */
export function forceClose(engine: Engine, run: Run, eventType: number, attributes: Parameters<Run['append']>[1], identity: string): void {
  const wft = run.ms.wft;
  if (wft?.startedId) {
    endWorkflowTask(engine, run, E.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: wft.scheduledId, startedEventId: wft.startedId, identity,
        cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
      },
    }, false);
  }
  run.flushBuffered();
  run.append(eventType, attributes);
  onRunClosed(engine, run);
}

export function terminateRun(engine: Engine, run: Run, reason: string, identity: string, details?: IPayloads | null): void {
  if (!run.isOpen) return;
  forceClose(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, {
    workflowExecutionTerminatedEventAttributes: { reason, details, identity },
  }, identity);
}

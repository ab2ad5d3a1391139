/**
 * Closing a run: forced closes (terminate, timeouts) and what follows any close: its timers go, the parent
 * hears about it, children get the close policy (which may terminate them in turn, hence one module).
 */
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { IHistoryEvent, IPayloads } from '../wire/proto.js';
import { EventType as E, ParentClosePolicy, WorkflowTaskFailedCause, num } from '../wire/proto.js';
import { addWorkflowEvent, endWorkflowTask } from './wft-schedule.js';
import { requestCancelRun } from './control.js';
import { settleQueries } from './query-registry.js';
import { abortUpdates } from '../updates/lifecycle.js';

/** Closes an open run with a terminal event written outside a workflow task (terminate, timeouts). */
export function forceClose(
  engine: Engine,
  run: Run,
  eventType: number,
  attributes: Parameters<Run['append']>[1],
  identity: string,
): void {
  const wft = run.ms.wft;
  if (wft?.startedId) {
    endWorkflowTask(
      engine,
      run,
      E.EVENT_TYPE_WORKFLOW_TASK_FAILED,
      {
        workflowTaskFailedEventAttributes: {
          scheduledEventId: wft.scheduledId,
          startedEventId: wft.startedId,
          identity,
          cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
        },
      },
      false,
    );
  }
  run.flushBuffered();
  run.append(eventType, attributes);
  onRunClosed(engine, run);
}

export function terminateRun(
  engine: Engine,
  run: Run,
  reason: string,
  identity: string,
  details?: IPayloads | null,
): void {
  if (!run.isOpen) return;
  forceClose(
    engine,
    run,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    {
      workflowExecutionTerminatedEventAttributes: { reason, details, identity },
    },
    identity,
  );
}

export function onRunClosed(engine: Engine, run: Run): void {
  engine.timers.clearGroup(run.runId);
  // Closed runs are kept for the namespace retention period, then deleted, as on the real server.
  armRetention(engine, run);
  engine.logger.debug({ workflowId: run.workflowId, runId: run.runId, status: run.ms.status }, 'workflow run closed');
  if (run.ms.status !== 'ContinuedAsNew' && !run.extras.retriedAs) notifyParent(engine, run);
  applyParentClosePolicies(engine, run);
  settleQueries(run);
  abortUpdates(run);
}

/** Deletes the closed run once the namespace retention has passed since it closed (at once if it already has). */
export function armRetention(engine: Engine, run: Run): void {
  const due = run.ms.closeTime + engine.namespaces.retentionMs(run.namespace);
  engine.timers.set(`${run.runId}:retention`, due - Date.now(), () => engine.store.delete(run));
}

function notifyParent(engine: Engine, run: Run): void {
  const p = run.ms.parent;
  if (!p) return;
  const parent = engine.store.get(p.namespace, p.execution.workflowId ?? '', p.execution.runId);
  const child = parent?.ms.children.get(p.initiatedId);
  if (!parent || !parent.isOpen || !child) return;
  const common = {
    namespace: run.namespace,
    workflowExecution: { workflowId: run.workflowId, runId: run.runId },
    workflowType: { name: run.ms.workflowType },
    initiatedEventId: p.initiatedId,
    startedEventId: child.startedId,
  };
  const close = run.ms.closeEvent as IHistoryEvent;
  switch (close.eventType) {
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      addWorkflowEvent(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, {
        childWorkflowExecutionCompletedEventAttributes: {
          ...common,
          result: close.workflowExecutionCompletedEventAttributes?.result,
        },
      });
      break;
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      addWorkflowEvent(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, {
        childWorkflowExecutionFailedEventAttributes: {
          ...common,
          failure: close.workflowExecutionFailedEventAttributes?.failure,
          retryState: close.workflowExecutionFailedEventAttributes?.retryState,
        },
      });
      break;
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      addWorkflowEvent(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, {
        childWorkflowExecutionCanceledEventAttributes: {
          ...common,
          details: close.workflowExecutionCanceledEventAttributes?.details,
        },
      });
      break;
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      addWorkflowEvent(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, {
        childWorkflowExecutionTerminatedEventAttributes: common,
      });
      break;
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      addWorkflowEvent(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, {
        childWorkflowExecutionTimedOutEventAttributes: {
          ...common,
          retryState: close.workflowExecutionTimedOutEventAttributes?.retryState,
        },
      });
      break;
    default:
      break;
  }
}

function applyParentClosePolicies(engine: Engine, run: Run): void {
  if (run.ms.status === 'ContinuedAsNew') return;
  for (const child of run.ms.children.values()) {
    if (!child.startedId || child.parentClosePolicy === ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON) continue;
    const target = engine.store.get(child.namespace || run.namespace, child.workflowId);
    if (!target || !target.isOpen || target.ms.parent?.execution.runId !== run.runId) continue;
    if (child.parentClosePolicy === ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
      requestCancelRun(engine, target, 'by parent close policy', 'history-service', '', {
        initiatedId: num(child.initiatedId),
        execution: run.execution,
      });
    } else {
      terminateRun(engine, target, 'by parent close policy', 'history-service');
    }
  }
}

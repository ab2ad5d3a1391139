/** Child workflows and external signal/cancel: initiated by commands, carried out right after the task completes. */
import type { L, pb } from '../wire/proto.js';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { IHistoryEvent } from '../wire/proto.js';
import { EventType as E, durationMs } from '../wire/proto.js';
import { RpcError } from '../wire/errors.js';
import { addWorkflowEvent } from './wft-schedule.js';
import { requestCancelRun, signalRun } from './control.js';
import { startWorkflow } from './start.js';

type ChildAttrs = L<pb.api.command.v1.IStartChildWorkflowExecutionCommandAttributes>;
type SignalAttrs = L<pb.api.command.v1.ISignalExternalWorkflowExecutionCommandAttributes>;
type CancelAttrs = L<pb.api.command.v1.IRequestCancelExternalWorkflowExecutionCommandAttributes>;

const ALREADY_EXISTS = 1;
const NOT_FOUND = 1;

/** Like the real server's transfer tasks: runs after the current RPC has recorded its events. */
function afterTask(engine: Engine, fn: () => void): void {
  setImmediate(() => {
    if (engine.stopped) return;
    try {
      fn();
    } catch (err) {
      engine.logger.error({ err }, 'devserver transfer task failed');
    }
  });
}

export function initiateChild(engine: Engine, parent: Run, a: ChildAttrs, completedId: number): void {
  const namespace = a.namespace || parent.namespace;
  const ev = parent.append(E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
    startChildWorkflowExecutionInitiatedEventAttributes: {
      namespace,
      workflowId: a.workflowId,
      workflowType: a.workflowType,
      taskQueue: a.taskQueue?.name ? a.taskQueue : { name: parent.ms.taskQueue, kind: 1 },
      input: a.input,
      workflowExecutionTimeout: a.workflowExecutionTimeout,
      workflowRunTimeout: a.workflowRunTimeout,
      workflowTaskTimeout: a.workflowTaskTimeout,
      parentClosePolicy: a.parentClosePolicy,
      control: a.control,
      workflowTaskCompletedEventId: completedId,
      workflowIdReusePolicy: a.workflowIdReusePolicy,
      retryPolicy: a.retryPolicy,
      cronSchedule: a.cronSchedule,
      header: a.header,
      memo: a.memo,
      searchAttributes: a.searchAttributes,
      priority: a.priority,
    },
  });
  afterTask(engine, () => startChild(engine, parent, ev));
}

/** Carries out a recorded StartChildWorkflowExecutionInitiated (also after a restore). */
export function startChild(engine: Engine, parent: Run, ev: IHistoryEvent): void {
  const a = ev.startChildWorkflowExecutionInitiatedEventAttributes ?? {};
  const initiatedId = Number(ev.eventId);
  if (!parent.isOpen || parent.ms.children.get(initiatedId)?.startedId !== 0) return;
  const common = { namespace: a.namespace, workflowType: a.workflowType, initiatedEventId: initiatedId };
  if (!engine.namespaces.has(a.namespace ?? '')) {
    addWorkflowEvent(engine, parent, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, {
      startChildWorkflowExecutionFailedEventAttributes: {
        ...common,
        workflowId: a.workflowId,
        cause: 2,
        control: a.control,
        workflowTaskCompletedEventId: Number(a.workflowTaskCompletedEventId),
      },
    });
    return;
  }
  try {
    const { run } = startWorkflow(engine, {
      namespace: a.namespace ?? parent.namespace,
      workflowId: a.workflowId ?? '',
      workflowType: a.workflowType?.name ?? '',
      taskQueue: a.taskQueue?.name ?? parent.ms.taskQueue,
      requestId: `${parent.runId}:${initiatedId}`,
      identity: 'history-service',
      input: a.input,
      header: a.header,
      memo: a.memo,
      searchAttributes: a.searchAttributes,
      executionTimeoutMs: durationMs(a.workflowExecutionTimeout),
      runTimeoutMs: durationMs(a.workflowRunTimeout),
      taskTimeoutMs: durationMs(a.workflowTaskTimeout),
      retryPolicy: a.retryPolicy,
      cronSchedule: a.cronSchedule ?? '',
      reusePolicy: a.workflowIdReusePolicy ?? 0,
      parent: { namespace: parent.namespace, execution: parent.execution, initiatedId },
      root: parent.ms.root ?? parent.execution,
    });
    addWorkflowEvent(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
      childWorkflowExecutionStartedEventAttributes: { ...common, workflowExecution: run.execution, header: a.header },
    });
  } catch (err) {
    if (!(err instanceof RpcError)) throw err;
    addWorkflowEvent(engine, parent, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, {
      startChildWorkflowExecutionFailedEventAttributes: {
        ...common,
        workflowId: a.workflowId,
        cause: ALREADY_EXISTS,
        control: a.control,
        workflowTaskCompletedEventId: Number(a.workflowTaskCompletedEventId),
      },
    });
  }
}

function findTarget(
  engine: Engine,
  namespace: string,
  workflowId: string,
  runId: string | null | undefined,
): Run | undefined {
  const run = engine.store.get(namespace, workflowId, runId || undefined);
  return run?.isOpen ? run : undefined;
}

export function initiateExternalSignal(engine: Engine, source: Run, a: SignalAttrs, completedId: number): void {
  const ev = source.append(E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
    signalExternalWorkflowExecutionInitiatedEventAttributes: {
      workflowTaskCompletedEventId: completedId,
      namespace: a.namespace || source.namespace,
      workflowExecution: a.execution,
      signalName: a.signalName,
      input: a.input,
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      header: a.header,
    },
  });
  afterTask(engine, () => deliverExternalSignal(engine, source, ev));
}

/** Carries out a recorded SignalExternalWorkflowExecutionInitiated (also after a restore). */
export function deliverExternalSignal(engine: Engine, source: Run, ev: IHistoryEvent): void {
  const a = ev.signalExternalWorkflowExecutionInitiatedEventAttributes ?? {};
  const initiatedId = Number(ev.eventId);
  if (!source.isOpen || !source.ms.externalSignals.has(initiatedId)) return;
  const namespace = a.namespace || source.namespace;
  const target = findTarget(engine, namespace, a.workflowExecution?.workflowId ?? '', a.workflowExecution?.runId);
  const common = {
    initiatedEventId: initiatedId,
    namespace,
    workflowExecution: a.workflowExecution,
    control: a.control,
  };
  if (!target) {
    addWorkflowEvent(engine, source, E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
      signalExternalWorkflowExecutionFailedEventAttributes: {
        ...common,
        cause: NOT_FOUND,
        workflowTaskCompletedEventId: a.workflowTaskCompletedEventId,
      },
    });
    return;
  }
  signalRun(
    engine,
    target,
    {
      name: a.signalName ?? '',
      input: a.input,
      header: a.header,
      identity: 'history-service',
      requestId: `${source.runId}:${initiatedId}`,
    },
    { initiatedId, execution: source.execution },
  );
  addWorkflowEvent(engine, source, E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, {
    externalWorkflowExecutionSignaledEventAttributes: common,
  });
}

export function initiateExternalCancel(engine: Engine, source: Run, a: CancelAttrs, completedId: number): void {
  const ev = source.append(E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
    requestCancelExternalWorkflowExecutionInitiatedEventAttributes: {
      workflowTaskCompletedEventId: completedId,
      namespace: a.namespace || source.namespace,
      workflowExecution: { workflowId: a.workflowId ?? '', runId: a.runId ?? '' },
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      reason: a.reason,
    },
  });
  afterTask(engine, () => deliverExternalCancel(engine, source, ev));
}

/** Carries out a recorded RequestCancelExternalWorkflowExecutionInitiated (also after a restore). */
export function deliverExternalCancel(engine: Engine, source: Run, ev: IHistoryEvent): void {
  const a = ev.requestCancelExternalWorkflowExecutionInitiatedEventAttributes ?? {};
  const initiatedId = Number(ev.eventId);
  if (!source.isOpen || !source.ms.externalCancels.has(initiatedId)) return;
  const namespace = a.namespace || source.namespace;
  const execution = { workflowId: a.workflowExecution?.workflowId ?? '', runId: a.workflowExecution?.runId ?? '' };
  const target = findTarget(engine, namespace, execution.workflowId, execution.runId);
  if (!target) {
    addWorkflowEvent(engine, source, E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
      requestCancelExternalWorkflowExecutionFailedEventAttributes: {
        initiatedEventId: initiatedId,
        namespace,
        workflowExecution: execution,
        control: a.control,
        cause: NOT_FOUND,
        workflowTaskCompletedEventId: a.workflowTaskCompletedEventId,
      },
    });
    return;
  }
  requestCancelRun(engine, target, a.reason ?? '', 'history-service', `${source.runId}:${initiatedId}`, {
    initiatedId,
    execution: source.execution,
  });
  addWorkflowEvent(engine, source, E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
    externalWorkflowExecutionCancelRequestedEventAttributes: {
      initiatedEventId: initiatedId,
      namespace,
      workflowExecution: execution,
    },
  });
}

/** Client-facing workflow RPCs: start, signal-with-start, signal, cancel, terminate, query. */
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { temporal } from '../wire/proto.js';
import { durationMs } from '../wire/proto.js';
import { invalidArgument, notFound, workflowNotFound } from '../wire/errors.js';
import { endBackoff, startWorkflow } from '../core/start.js';
import type { StartParams } from '../core/start.js';
import { requestCancelRun, signalRun } from '../core/control.js';
import { terminateRun } from '../core/close.js';
import { queryWorkflow, respondQueryTaskCompleted } from '../core/queries.js';
import type { CallContext } from '../wire/call.js';

type V1 = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof V1> = V1[K] extends { decode(...args: never[]): infer R } ? R : never;
type StartReq = Req<'StartWorkflowExecutionRequest'>;
type SwsReq = Req<'SignalWithStartWorkflowExecutionRequest'>;

export function startParams(engine: Engine, req: StartReq | SwsReq): StartParams {
  const saError = engine.namespaces.searchAttributeError(req.namespace, req.searchAttributes);
  if (saError) throw invalidArgument(saError);
  return {
    namespace: req.namespace,
    workflowId: req.workflowId,
    workflowType: req.workflowType?.name ?? '',
    taskQueue: req.taskQueue?.name ?? '',
    requestId: req.requestId,
    identity: req.identity,
    input: req.input,
    header: req.header,
    memo: req.memo,
    searchAttributes: req.searchAttributes,
    executionTimeoutMs: durationMs(req.workflowExecutionTimeout),
    runTimeoutMs: durationMs(req.workflowRunTimeout),
    taskTimeoutMs: durationMs(req.workflowTaskTimeout),
    retryPolicy: req.retryPolicy,
    cronSchedule: req.cronSchedule,
    backoffMs: durationMs(req.workflowStartDelay),
    reusePolicy: req.workflowIdReusePolicy,
    conflictPolicy: req.workflowIdConflictPolicy,
    userMetadata: req.userMetadata,
  };
}

function openRun(
  engine: Engine,
  namespace: string,
  execution: { workflowId?: string | null; runId?: string | null } | null | undefined,
): Run {
  const workflowId = execution?.workflowId ?? '';
  if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
  const run = engine.store.get(namespace, workflowId, execution?.runId || undefined);
  if (!run) throw workflowNotFound(workflowId, execution?.runId);
  if (!run.isOpen) throw notFound('workflow execution already completed');
  return run;
}

export function workflowHandlers(engine: Engine) {
  return {
    StartWorkflowExecution: (req: StartReq) => {
      const { run, started } = startWorkflow(engine, {
        ...startParams(engine, req),
        completionCallbacks: req.completionCallbacks,
      });
      return { runId: run.runId, started, status: started || run.isOpen ? 1 : 0 };
    },
    SignalWithStartWorkflowExecution: (req: SwsReq) => {
      if (!req.signalName) throw invalidArgument('SignalName is not set on request.');
      const signal = { name: req.signalName, input: req.signalInput, header: req.header, requestId: req.requestId };
      const existing = engine.store.get(req.namespace, req.workflowId);
      if (existing?.isOpen) {
        signalRun(engine, existing, { ...signal, identity: req.identity });
        // Signal-with-start ends a start delay early (a plain signal does not), as on the real server.
        if (existing.extras.awaitingBackoff) endBackoff(engine, existing);
        return { runId: existing.runId, started: false };
      }
      const { run } = startWorkflow(engine, { ...startParams(engine, req), signal, conflictPolicy: 0 });
      return { runId: run.runId, started: true };
    },
    SignalWorkflowExecution: (req: Req<'SignalWorkflowExecutionRequest'>) => {
      if (!req.signalName) throw invalidArgument('SignalName is not set on request.');
      const run = openRun(engine, req.namespace, req.workflowExecution);
      signalRun(engine, run, {
        name: req.signalName,
        input: req.input,
        header: req.header,
        identity: req.identity,
        requestId: req.requestId,
      });
      return {};
    },
    RequestCancelWorkflowExecution: (req: Req<'RequestCancelWorkflowExecutionRequest'>) => {
      const workflowId = req.workflowExecution?.workflowId ?? '';
      if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
      const run = engine.store.get(req.namespace, workflowId, req.workflowExecution?.runId || undefined);
      if (!run) throw workflowNotFound(workflowId, req.workflowExecution?.runId);
      if (req.firstExecutionRunId && run.ms.firstRunId !== req.firstExecutionRunId)
        throw workflowNotFound(run.workflowId);
      // As on the server: cancelling a run that already closed succeeds and changes nothing.
      if (!run.isOpen) return {};
      requestCancelRun(engine, run, req.reason, req.identity, req.requestId);
      return {};
    },
    TerminateWorkflowExecution: (req: Req<'TerminateWorkflowExecutionRequest'>) => {
      const run = openRun(engine, req.namespace, req.workflowExecution);
      if (req.firstExecutionRunId && run.ms.firstRunId !== req.firstExecutionRunId)
        throw workflowNotFound(run.workflowId);
      terminateRun(engine, run, req.reason, req.identity, req.details);
      return {};
    },
    QueryWorkflow: (req: Req<'QueryWorkflowRequest'>, ctx: CallContext) => {
      const workflowId = req.execution?.workflowId ?? '';
      const run = engine.store.get(req.namespace, workflowId, req.execution?.runId || undefined);
      if (!run) throw workflowNotFound(workflowId, req.execution?.runId);
      return queryWorkflow(engine, run, req, ctx.signal);
    },
    RespondQueryTaskCompleted: (req: Req<'RespondQueryTaskCompletedRequest'>) => {
      respondQueryTaskCompleted(req);
      return {};
    },
    DeleteWorkflowExecution: (req: Req<'DeleteWorkflowExecutionRequest'>) => {
      const run = engine.store.get(
        req.namespace,
        req.workflowExecution?.workflowId ?? '',
        req.workflowExecution?.runId || undefined,
      );
      if (!run) throw workflowNotFound(req.workflowExecution?.workflowId ?? '');
      if (run.isOpen) terminateRun(engine, run, 'Delete workflow execution', 'history-service');
      engine.store.delete(run);
      return {};
    },
  };
}

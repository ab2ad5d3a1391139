/**
 * ExecuteMultiOperation, i.e. update-with-start: [StartWorkflow, UpdateWorkflow] on one workflow id. The start
 * follows the id conflict policy (USE_EXISTING sends the update to the running run); the update rides in the
 * new run's first workflow task. Retried requests are idempotent through the start request id and update id.
 */
import { status } from '@grpc/grpc-js';
import type { Engine } from '../state/engine.js';
import { temporal } from '../wire/proto.js';
import type { CallContext } from '../wire/call.js';
import { RpcError, invalidArgument } from '../wire/errors.js';
import { endBackoff, startWorkflow } from '../core/start.js';
import { startParams } from './workflow-rpc.js';
import { admit, answer } from '../updates/rpc.js';

type V1 = typeof temporal.api.workflowservice.v1;
type MultiReq = ReturnType<V1['ExecuteMultiOperationRequest']['decode']>;
type StartReq = ReturnType<V1['StartWorkflowExecutionRequest']['decode']>;
type UpdateReq = ReturnType<V1['UpdateWorkflowExecutionRequest']['decode']>;

export async function executeMultiOperation(engine: Engine, req: MultiReq, ctx: CallContext) {
  const [first, second, ...rest] = req.operations ?? [];
  // Nested requests decode as message instances like top-level ones.
  const start = first?.startWorkflow as StartReq | null | undefined;
  const update = second?.updateWorkflow as UpdateReq | null | undefined;
  if (!start || !update || rest.length > 0) throw invalidArgument('Operations have to be exactly [Start, Update].');
  if (start.namespace && start.namespace !== req.namespace)
    throw invalidArgument('Namespace is not consistent with previous operation(s).');
  if (update.workflowExecution?.workflowId !== start.workflowId)
    throw invalidArgument('WorkflowId is not consistent with previous operation(s).');
  if (update.workflowExecution?.runId) throw invalidArgument('RunId is not allowed.');
  if (update.firstExecutionRunId) throw invalidArgument('FirstExecutionRunId is not allowed.');
  if (start.cronSchedule) throw invalidArgument('CronSchedule is not allowed.');
  if (start.requestEagerExecution) throw invalidArgument('RequestEagerExecution is not allowed.');
  if (start.workflowStartDelay) throw invalidArgument('WorkflowStartDelay is not allowed.');
  start.namespace = req.namespace;
  const previous = engine.store.get(req.namespace, start.workflowId);
  let started: ReturnType<typeof startWorkflow>;
  try {
    started = startWorkflow(engine, {
      ...startParams(engine, start),
      completionCallbacks: start.completionCallbacks,
      holdFirstTask: true,
    });
  } catch (err) {
    throw multiOpError(0, err);
  }
  const { run } = started;
  let updateResponse: Awaited<ReturnType<typeof answer>>;
  try {
    let entry: ReturnType<typeof admit>;
    try {
      entry = admit(engine, run, update);
    } finally {
      // A run created by this call: its first workflow task goes out now, carrying the update.
      if (run !== previous && run.extras.awaitingBackoff) endBackoff(engine, run);
    }
    updateResponse = await answer(engine, run, entry, update.waitPolicy?.lifecycleStage || 3, ctx);
  } catch (err) {
    throw multiOpError(1, err);
  }
  return {
    responses: [
      { startWorkflow: { runId: run.runId, started: started.started, status: run.isOpen ? 1 : 0 } },
      { updateWorkflow: updateResponse },
    ],
  };
}

const ABORTED_DETAIL = {
  type_url: 'type.googleapis.com/temporal.api.failure.v1.MultiOperationExecutionAborted',
  value: new Uint8Array(),
};

/**
 * The server's MultiOperationExecution error: the failing operation's code on the whole call, and per-operation
 * statuses in a MultiOperationExecutionFailure detail (the other operation ABORTED), which the SDK unwraps.
 */
function multiOpError(index: number, err: unknown): unknown {
  if (!(err instanceof RpcError)) return err;
  const own = {
    code: err.code,
    message: err.message,
    details: err.detail ? [{ type_url: `type.googleapis.com/${err.detail.typeName}`, value: err.detail.value }] : [],
  };
  const aborted = { code: status.ABORTED, message: 'Operation was aborted.', details: [ABORTED_DETAIL] };
  const statuses = index === 0 ? [own, aborted] : [aborted, own];
  const value = temporal.api.errordetails.v1.MultiOperationExecutionFailure.encode({ statuses }).finish();
  return new RpcError(err.code, 'Update-with-Start could not be executed.', {
    typeName: 'temporal.api.errordetails.v1.MultiOperationExecutionFailure',
    value,
  });
}

/**
 * ExecuteMultiOperation, i.e. update-with-start: [StartWorkflow, UpdateWorkflow] on one workflow id. The start
 * follows the id conflict policy (USE_EXISTING sends the update to the running run); the update rides in the
 * new run's first workflow task. Retried requests are idempotent through the start request id and update id.
 */
import type { Engine } from './engine.js';
import type { temporal } from './proto.js';
import type { CallContext } from './grpc-service.js';
import { invalidArgument } from './errors.js';
import { startWorkflow } from './start.js';
import { startParams } from './workflow-rpc.js';
import { admit, answer } from './updates/rpc.js';

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
  if (start.namespace && start.namespace !== req.namespace) throw invalidArgument('Namespace is not consistent with previous operation(s).');
  if (update.workflowExecution?.workflowId !== start.workflowId) throw invalidArgument('WorkflowId is not consistent with previous operation(s).');
  if (update.workflowExecution?.runId) throw invalidArgument('RunId is not allowed.');
  if (update.firstExecutionRunId) throw invalidArgument('FirstExecutionRunId is not allowed.');
  if (start.cronSchedule) throw invalidArgument('CronSchedule is not allowed.');
  if (start.requestEagerExecution) throw invalidArgument('RequestEagerExecution is not allowed.');
  if (start.workflowStartDelay) throw invalidArgument('WorkflowStartDelay is not allowed.');
  start.namespace = req.namespace;
  const { run, started } = startWorkflow(engine, { ...startParams(engine, start), completionCallbacks: start.completionCallbacks });
  const entry = admit(engine, run, update);
  const updateResponse = await answer(engine, run, entry, update.waitPolicy?.lifecycleStage || 3, ctx);
  return {
    responses: [
      { startWorkflow: { runId: run.runId, started, status: run.isOpen ? 1 : 0 } },
      { updateWorkflow: updateResponse },
    ],
  };
}

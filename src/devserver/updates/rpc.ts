/** UpdateWorkflowExecution and PollWorkflowExecutionUpdate: admit (or find) an update, wait for the asked stage. */
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { temporal } from '../wire/proto.js';
import type { CallContext } from '../wire/call.js';
import { RpcError, invalidArgument, notFound, workflowNotFound } from '../wire/errors.js';
import { admitUpdate, registryOf, stageOf, waitForStage } from './registry.js';
import type { UpdateEntry } from './registry.js';
import { deliverUpdates } from './lifecycle.js';

type V1 = typeof temporal.api.workflowservice.v1;
type UpdateReq = ReturnType<V1['UpdateWorkflowExecutionRequest']['decode']>;
type PollReq = ReturnType<V1['PollWorkflowExecutionUpdateRequest']['decode']>;

const STAGE_ADMITTED = 1;
/** The server's defaults: history.maxInFlightUpdates and history.maxTotalUpdates. */
const MAX_IN_FLIGHT = 10;
const MAX_TOTAL = 2000;
const STAGE_COMPLETED = 3;

function findRun(engine: Engine, namespace: string, workflowId: string, runId: string | null | undefined): Run {
  if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
  const run = engine.store.get(namespace, workflowId, runId || undefined);
  if (!run) throw workflowNotFound(workflowId, runId);
  return run;
}

/** The answer both RPCs give: the stage reached within the wait, and the outcome once there is one. */
export async function answer(engine: Engine, run: Run, entry: UpdateEntry, stage: number, ctx: CallContext) {
  // Short of the client's own deadline, like the server, so the client sees a stage and asks again.
  await waitForStage(entry, stage, ctx.signal, engine.config.longPollMs);
  if (entry.error) throw entry.error;
  const reached = stageOf(entry);
  return {
    updateRef: { workflowExecution: { workflowId: run.workflowId, runId: run.runId }, updateId: entry.id },
    outcome: reached === STAGE_COMPLETED ? entry.outcome : null,
    stage: reached,
  };
}

/** Admits an update to a run (or finds one with the same id) and gets it to the workflow. */
export function admit(engine: Engine, run: Run, req: UpdateReq): UpdateEntry {
  if (!req.request?.input?.name) throw invalidArgument('Update name is not set on request.');
  // Like the frontend: an update without an id gets one.
  const meta = (req.request.meta ??= {});
  const updateId = (meta.updateId ||= randomUUID());
  const existing = registryOf(run).get(updateId);
  if (existing) return existing;
  if (!run.isOpen) throw notFound('workflow execution already completed');
  const all = [...registryOf(run).values()];
  if (all.filter((e) => stageOf(e) < STAGE_COMPLETED).length >= MAX_IN_FLIGHT) {
    throw new RpcError(
      status.RESOURCE_EXHAUSTED,
      `limit on number of concurrent in-flight updates has been reached (${MAX_IN_FLIGHT})`,
    );
  }
  if (all.length >= MAX_TOTAL)
    throw new RpcError(status.FAILED_PRECONDITION, `limit on number of total updates has been reached (${MAX_TOTAL})`);
  const entry = admitUpdate(run, updateId, req.request);
  deliverUpdates(engine, run);
  return entry;
}

export function updateHandlers(engine: Engine) {
  return {
    UpdateWorkflowExecution: async (req: UpdateReq, ctx: CallContext) => {
      const run = findRun(engine, req.namespace, req.workflowExecution?.workflowId ?? '', req.workflowExecution?.runId);
      if (req.firstExecutionRunId && run.ms.firstRunId !== req.firstExecutionRunId)
        throw workflowNotFound(run.workflowId);
      // The server's defaults: no stage means COMPLETED, and ADMITTED is refused for UpdateWorkflowExecution.
      const stage = req.waitPolicy?.lifecycleStage || STAGE_COMPLETED;
      if (stage === STAGE_ADMITTED) {
        throw new RpcError(
          status.PERMISSION_DENIED,
          'UpdateWorkflowExecution issued asynchronously and waiting on update admitted is not supported.',
        );
      }
      const entry = admit(engine, run, req);
      return await answer(engine, run, entry, stage, ctx);
    },
    PollWorkflowExecutionUpdate: async (req: PollReq, ctx: CallContext) => {
      const ref = req.updateRef;
      const run = findRun(
        engine,
        req.namespace,
        ref?.workflowExecution?.workflowId ?? '',
        ref?.workflowExecution?.runId,
      );
      const entry = registryOf(run).get(ref?.updateId ?? '');
      if (!entry) throw notFound(`update "${ref?.updateId ?? ''}" not found`);
      // No stage or ADMITTED: answer at once with the stage reached (the server's non-blocking poll).
      return await answer(engine, run, entry, req.waitPolicy?.lifecycleStage ?? 0, ctx);
    },
  };
}

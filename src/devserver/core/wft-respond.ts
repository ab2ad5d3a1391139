/** Workflow task RPCs: poll, RespondWorkflowTaskCompleted/Failed, sticky queue reset and worker shutdown. */
import type { L, pb, temporal } from '../wire/proto.js';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';

import { EventType as E, WorkflowTaskFailedCause as Cause, durationMs } from '../wire/proto.js';
import { invalidArgument, notFound } from '../wire/errors.js';
import { decodeToken } from '../wire/tokens.js';
import { endWorkflowTask, materializeTransient, runTimerKey, scheduleWorkflowTask, unstick } from './wft-schedule.js';
import { applyCommands, validateCommands } from './commands.js';
import { answerQueries, settleQueries } from './query-registry.js';
import { beginMessages, finishMessages, validateMessages } from '../updates/protocol.js';
import { afterTaskCompleted, dropSpeculative } from '../updates/lifecycle.js';

type V1 = typeof temporal.api.workflowservice.v1;
type CompletedReq = ReturnType<V1['RespondWorkflowTaskCompletedRequest']['decode']>;
type FailedReq = ReturnType<V1['RespondWorkflowTaskFailedRequest']['decode']>;

function locate(engine: Engine, tokenBytes: Uint8Array | null | undefined): Run {
  const token = decodeToken(tokenBytes);
  if (token.k !== 'wft') throw invalidArgument('Error deserializing task token.');
  const run = engine.store.get(token.ns, token.wid, token.rid);
  const wft = run?.ms.wft;
  if (!run || !run.isOpen || !wft || !wft.startedId || wft.generation !== token.gen || wft.attempt !== token.att) {
    throw notFound('Workflow task not found.');
  }
  return run;
}

export function respondWorkflowTaskCompleted(
  engine: Engine,
  req: CompletedReq,
): L<pb.api.workflowservice.v1.IRespondWorkflowTaskCompletedResponse> {
  const run = locate(engine, req.taskToken);
  const wft = run.ms.wft;
  if (!wft) throw notFound('Workflow task not found.');
  const commands = req.commands ?? [];
  // Buffered events block closing the run (UnhandledCommand); admitted updates do not: as on the server, the
  // run closes and they are aborted (abortUpdates).
  const failure =
    validateCommands(engine, run, commands, run.buffered.length > 0) ??
    validateMessages(
      run,
      req.messages ?? [],
      commands.map((c) => c.protocolMessageCommandAttributes?.messageId ?? '').filter((id) => id),
    );
  if (failure) {
    engine.logger.debug(
      { workflowId: run.workflowId, cause: failure.cause, message: failure.message },
      'workflow task completion rejected',
    );
    if (wft.attempt > 1 && failure.cause !== Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND) {
      // Like the real server: a task that keeps failing is dropped and retried after its timeout.
      throw invalidArgument(failure.message);
    }
    materializeTransient(run, req.identity);
    const current = run.ms.wft ?? wft;
    endWorkflowTask(engine, run, E.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: current.scheduledId,
        startedEventId: current.startedId,
        cause: failure.cause,
        identity: req.identity,
        failure: { message: failure.message, applicationFailureInfo: {} },
        binaryChecksum: req.binaryChecksum,
      },
    });
    throw invalidArgument(failure.message);
  }
  // A dropped speculative task: the worker rewinds to the last task really completed (resetHistoryEventId).
  if (dropSpeculative(engine, run, req))
    return { activityTasks: [], resetHistoryEventId: run.ms.lastCompletedWftStartedId };
  engine.timers.clear(runTimerKey(run, 'wft-stc'));
  materializeTransient(run, req.identity);
  const current = run.ms.wft ?? wft;
  const completed = run.append(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
    workflowTaskCompletedEventAttributes: {
      scheduledEventId: current.scheduledId,
      startedEventId: current.startedId,
      identity: req.identity,
      binaryChecksum: req.binaryChecksum,
      workerVersion: req.workerVersionStamp,
      sdkMetadata: req.sdkMetadata,
      meteringMetadata: req.meteringMetadata,
      deployment: req.deployment,
      versioningBehavior: req.versioningBehavior,
      workerDeploymentName: req.deploymentOptions?.deploymentName ?? '',
    },
  });
  const stickyQueue = req.stickyAttributes?.workerTaskQueue?.name;
  run.extras.sticky = stickyQueue
    ? { queue: stickyQueue, scheduleToStartMs: durationMs(req.stickyAttributes?.scheduleToStartTimeout) || 5000 }
    : null;
  answerQueries(run, req.queryResults);
  beginMessages(run, req.messages ?? []);
  const { activityCanceled } = applyCommands(engine, run, commands, Number(completed.eventId));
  finishMessages(run);
  const flushed = run.flushBuffered();
  if (run.isOpen && (flushed || activityCanceled || req.forceCreateNewWorkflowTask))
    scheduleWorkflowTask(engine, run, 1);
  afterTaskCompleted(engine, run);
  settleQueries(run);
  return { activityTasks: [] };
}

export function respondWorkflowTaskFailed(
  engine: Engine,
  req: FailedReq,
): L<pb.api.workflowservice.v1.IRespondWorkflowTaskFailedResponse> {
  const run = locate(engine, req.taskToken);
  const wft = run.ms.wft;
  if (!wft) throw notFound('Workflow task not found.');
  engine.logger.debug(
    { workflowId: run.workflowId, attempt: wft.attempt, cause: req.cause, message: req.failure?.message },
    'workflow task failed by worker',
  );
  endWorkflowTask(engine, run, E.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
    workflowTaskFailedEventAttributes: {
      scheduledEventId: wft.scheduledId,
      startedEventId: wft.startedId,
      cause: req.cause,
      failure: req.failure,
      identity: req.identity,
      binaryChecksum: req.binaryChecksum,
    },
  });
  return {};
}

/** Drops stickiness for every run bound to `stickyQueue`; waiting tasks move to the normal queue. */
export function releaseStickyQueue(engine: Engine, namespace: string, stickyQueue: string): void {
  if (!stickyQueue) return;
  for (const run of engine.store.all(namespace)) {
    if (run.isOpen && run.extras.sticky?.queue === stickyQueue) unstick(engine, run);
  }
  engine.matching.releaseAll(namespace, 'workflow', stickyQueue);
}

export function resetStickyTaskQueue(engine: Engine, namespace: string, workflowId: string, runId: string): void {
  const run = engine.store.get(namespace, workflowId, runId || undefined);
  if (!run) throw notFound(`workflow execution not found for WorkflowId: ${workflowId}`);
  if (run.isOpen) unstick(engine, run);
}

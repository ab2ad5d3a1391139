/** DescribeWorkflowExecution and the WorkflowExecutionInfo shared with listing. */
import type { L, pb, temporal } from '../wire/proto.js';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';

import { optDuration, msDuration, tsFromMs } from '../wire/proto.js';
import { workflowNotFound } from '../wire/errors.js';
import { STATUS_CODES } from '../visibility/evaluate.js';

type V1 = typeof temporal.api.workflowservice.v1;
type DescribeReq = ReturnType<V1['DescribeWorkflowExecutionRequest']['decode']>;
type DescribeResp = L<pb.api.workflowservice.v1.IDescribeWorkflowExecutionResponse>;
type ExecutionInfo = L<pb.api.workflow.v1.IWorkflowExecutionInfo>;

export function executionInfo(run: Run): ExecutionInfo {
  const ms = run.ms;
  return {
    execution: run.execution,
    type: { name: ms.workflowType },
    startTime: tsFromMs(ms.startTime),
    closeTime: ms.closeTime ? tsFromMs(ms.closeTime) : null,
    status: STATUS_CODES[ms.status] ?? 0,
    historyLength: run.events.length,
    parentNamespaceId: ms.parent?.namespace ?? '',
    parentExecution: ms.parent?.execution ?? null,
    executionTime: tsFromMs(ms.executionTime),
    memo: ms.memo,
    searchAttributes: ms.searchAttributes,
    taskQueue: ms.taskQueue,
    stateTransitionCount: run.events.length,
    historySizeBytes: run.historySizeBytes,
    rootExecution: ms.root ?? run.execution,
    firstRunId: ms.firstRunId,
    executionDuration: ms.closeTime ? msDuration(ms.closeTime - ms.executionTime) : null,
  };
}

const ACT_SCHEDULED = 1;
const ACT_STARTED = 2;
const ACT_CANCEL_REQUESTED = 3;

export function describeWorkflow(engine: Engine, req: DescribeReq): DescribeResp {
  const workflowId = req.execution?.workflowId ?? '';
  const run = engine.store.get(req.namespace, workflowId, req.execution?.runId || undefined);
  if (!run) throw workflowNotFound(workflowId, req.execution?.runId);
  const ms = run.ms;
  const pendingActivities = [...ms.activities.values()].map((info) => {
    const rt = run.extras.activities.get(info.scheduledId);
    const state = info.cancelRequested ? ACT_CANCEL_REQUESTED : rt?.state === 'started' ? ACT_STARTED : ACT_SCHEDULED;
    return {
      activityId: info.activityId,
      activityType: { name: info.activityType },
      state,
      heartbeatDetails: rt?.heartbeatDetails ?? null,
      lastHeartbeatTime: rt?.lastHeartbeatTime ? tsFromMs(rt.lastHeartbeatTime) : null,
      lastStartedTime: rt?.startedTime ? tsFromMs(rt.startedTime) : null,
      attempt: rt?.attempt ?? 1,
      maximumAttempts: info.retryPolicy.maximumAttempts ?? 0,
      scheduledTime: tsFromMs(rt?.attemptScheduledTime || info.scheduledTime),
      expirationTime: info.scheduleToCloseMs > 0 ? tsFromMs(info.scheduledTime + info.scheduleToCloseMs) : null,
      lastFailure: rt?.lastFailure ?? null,
      lastWorkerIdentity: rt?.identity || rt?.lastIdentity || '',
      nextAttemptScheduleTime: rt?.state === 'backoff' ? tsFromMs(rt.attemptScheduledTime) : null,
      lastAttemptCompleteTime: rt?.lastAttemptCompleteTime ? tsFromMs(rt.lastAttemptCompleteTime) : null,
      currentRetryInterval: rt?.retryIntervalMs ? msDuration(rt.retryIntervalMs) : null,
    };
  });
  const pendingChildren = [...ms.children.values()].map((c) => ({
    workflowId: c.workflowId,
    runId: c.runId,
    workflowTypeName: c.workflowType,
    initiatedId: c.initiatedId,
    parentClosePolicy: c.parentClosePolicy,
  }));
  const wft = ms.wft;
  return {
    executionConfig: {
      taskQueue: { name: ms.taskQueue, kind: 1 },
      workflowExecutionTimeout: optDuration(ms.executionTimeoutMs),
      workflowRunTimeout: optDuration(ms.runTimeoutMs),
      defaultWorkflowTaskTimeout: msDuration(ms.taskTimeoutMs),
      userMetadata: ms.startedEvent?.userMetadata ?? null,
    },
    workflowExecutionInfo: executionInfo(run),
    pendingActivities,
    pendingChildren,
    pendingWorkflowTask: wft
      ? {
          state: wft.startedId ? 2 : 1,
          scheduledTime: tsFromMs(wft.scheduledTime),
          originalScheduledTime: tsFromMs(wft.scheduledTime),
          startedTime: wft.startedId ? tsFromMs(wft.startedTime) : null,
          attempt: wft.attempt,
        }
      : null,
    callbacks: [],
    pendingNexusOperations: [],
    workflowExtendedInfo: {
      executionExpirationTime: ms.executionExpiration ? tsFromMs(ms.executionExpiration) : null,
      runExpirationTime: ms.runTimeoutMs > 0 ? tsFromMs(ms.executionTime + ms.runTimeoutMs) : null,
      cancelRequested: ms.cancelRequested,
      originalStartTime: tsFromMs(ms.startTime),
    },
  };
}

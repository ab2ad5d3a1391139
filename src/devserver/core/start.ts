/** Starting runs: id reuse and conflict policies, idempotency, timeouts, start delay, continue-as-new, retries. */
import type { L, pb } from '../wire/proto.js';
import { randomUUID } from 'node:crypto';
import type { Engine } from '../state/engine.js';
import { Run } from '../state/run.js';
import type {
  IFailure,
  IHeader,
  IMemo,
  IPayloads,
  IRetryPolicy,
  ISearchAttributes,
  IWorkflowExecution,
} from '../wire/proto.js';
import {
  EventType as E,
  RetryState,
  TimeoutType,
  durationMs,
  msDuration,
  optDuration,
  temporal as api,
  tsFromMs,
} from '../wire/proto.js';
import { alreadyStarted, invalidArgument } from '../wire/errors.js';
import { runTimerKey, scheduleWorkflowTask } from './wft-schedule.js';
import { signalRun } from './control.js';
import { forceClose, terminateRun } from './close.js';
import { decideRetry, validateRetryPolicy } from './retry.js';
import { cronBackoffMs, cronError } from './cron.js';

const enums = api.api.enums.v1;
const Reuse = enums.WorkflowIdReusePolicy;
const Conflict = enums.WorkflowIdConflictPolicy;

export interface StartParams {
  namespace: string;
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  requestId: string;
  identity: string;
  input?: IPayloads | null;
  header?: IHeader | null;
  memo?: IMemo | null;
  searchAttributes?: ISearchAttributes | null;
  executionTimeoutMs?: number;
  runTimeoutMs?: number;
  taskTimeoutMs?: number;
  retryPolicy?: IRetryPolicy | null;
  cronSchedule?: string;
  backoffMs?: number;
  reusePolicy?: number;
  conflictPolicy?: number;
  parent?: { namespace: string; execution: IWorkflowExecution; initiatedId: number };
  root?: IWorkflowExecution | null;
  continued?: { runId: string; initiator: number; lastCompletionResult?: IPayloads | null; failure?: IFailure | null };
  firstRunId?: string;
  runId?: string;
  attempt?: number;
  expiration?: number;
  signal?: { name: string; input?: IPayloads | null; header?: IHeader | null; requestId?: string | null };
  completionCallbacks?: L<pb.api.common.v1.ICallback>[];
  /**
   * Update-with-start: a new run's first workflow task waits (like a start delay) until the caller has
   * admitted the update and calls endBackoff, so the update rides in that task even when a poller is already
   * waiting, as on the real server, where the start and the update are one transaction.
   */
  holdFirstTask?: boolean;
  userMetadata?: L<pb.api.sdk.v1.IUserMetadata> | null;
}

export interface StartResult {
  run: Run;
  started: boolean;
}

/** Applies the id reuse and conflict policies; throws ALREADY_EXISTS like the real server. */
export function startWorkflow(engine: Engine, p: StartParams): StartResult {
  if (!p.workflowId) throw invalidArgument('WorkflowId is not set on request.');
  if (!p.workflowType) throw invalidArgument('WorkflowType is not set on request.');
  if (!p.taskQueue) throw invalidArgument('TaskQueue is not set on request.');
  const policyError = validateRetryPolicy(p.retryPolicy);
  if (policyError) throw invalidArgument(policyError);
  if (p.cronSchedule) {
    const cronProblem = cronError(p.cronSchedule);
    if (cronProblem) throw invalidArgument(cronProblem);
    if (p.backoffMs) throw invalidArgument('CronSchedule and WorkflowStartDelay may not be used together.');
  }
  const existing = engine.store.get(p.namespace, p.workflowId);
  if (existing) {
    if (p.requestId && existing.extras.requestIds.has(p.requestId) && !p.continued)
      return { run: existing, started: true };
    if (existing.isOpen) {
      const conflict =
        p.conflictPolicy ||
        (p.reusePolicy === Reuse.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING
          ? Conflict.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
          : Conflict.WORKFLOW_ID_CONFLICT_POLICY_FAIL);
      if (conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) return { run: existing, started: false };
      if (conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_FAIL)
        throw alreadyStarted(existing.extras.startRequestId, existing.runId, p.workflowId);
      terminateRun(engine, existing, 'terminated by new workflow start (id conflict policy)', p.identity);
    } else {
      const reuse = p.reusePolicy || Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
      const failedOnly = reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY;
      const succeeded = existing.ms.status === 'Completed' || existing.ms.status === 'ContinuedAsNew';
      if (reuse === Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE || (failedOnly && succeeded)) {
        const how = succeeded ? 'finished successfully' : 'finished';
        const policy = failedOnly ? 'allow duplicate workflow Id if last run failed' : 'reject duplicate workflow Id';
        throw alreadyStarted(
          existing.extras.startRequestId,
          existing.runId,
          p.workflowId,
          `Workflow execution already ${how}. WorkflowId: ${p.workflowId}, RunId: ${existing.runId}. Workflow Id reuse policy: ${policy}.`,
        );
      }
    }
  }
  // A cron workflow's first run waits for the schedule's next time.
  const cronFirst =
    p.cronSchedule && !p.continued ? { backoffMs: cronBackoffMs(p.cronSchedule, Date.now(), Date.now()) } : {};
  return { run: createRun(engine, { ...p, ...cronFirst }), started: true };
}

/** Creates a run unconditionally: WorkflowExecutionStarted (+ signal) then the first workflow task. */
export function createRun(engine: Engine, p: StartParams): Run {
  const runId = p.runId ?? randomUUID();
  const run = new Run(p.namespace, p.workflowId, runId, p.requestId || randomUUID());
  const now = Date.now();
  const execTimeout = p.executionTimeoutMs ?? 0;
  let runTimeout = p.runTimeoutMs || execTimeout;
  if (execTimeout > 0 && runTimeout > execTimeout) runTimeout = execTimeout;
  const taskTimeout = Math.min(p.taskTimeoutMs || 10_000, 120_000);
  const expiration = p.expiration ?? (execTimeout > 0 ? now + execTimeout : 0);
  const backoff = p.backoffMs ?? 0;
  run.append(
    E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    {
      userMetadata: p.userMetadata ?? null,
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: p.workflowType },
        taskQueue: { name: p.taskQueue, kind: 1 },
        input: p.input,
        header: p.header,
        workflowExecutionTimeout: optDuration(execTimeout),
        workflowRunTimeout: optDuration(runTimeout),
        workflowTaskTimeout: msDuration(taskTimeout),
        parentWorkflowNamespace: p.parent?.namespace ?? '',
        parentWorkflowExecution: p.parent?.execution ?? null,
        parentInitiatedEventId: p.parent?.initiatedId ?? 0,
        continuedExecutionRunId: p.continued?.runId ?? '',
        initiator: p.continued?.initiator ?? 0,
        continuedFailure: p.continued?.failure ?? null,
        lastCompletionResult: p.continued?.lastCompletionResult ?? null,
        originalExecutionRunId: runId,
        identity: p.identity,
        firstExecutionRunId: p.firstRunId ?? runId,
        retryPolicy: p.retryPolicy ?? null,
        attempt: p.attempt ?? 1,
        workflowExecutionExpirationTime: expiration > 0 ? tsFromMs(expiration) : null,
        cronSchedule: p.cronSchedule ?? '',
        firstWorkflowTaskBackoff: optDuration(backoff),
        memo: p.memo ?? null,
        searchAttributes: p.searchAttributes ?? null,
        workflowId: p.workflowId,
        rootWorkflowExecution: p.root ?? (p.parent ? null : { workflowId: p.workflowId, runId }),
        completionCallbacks: p.completionCallbacks ?? [],
      },
    },
    now,
  );
  engine.store.add(run);
  if (backoff > 0 || p.holdFirstTask) run.extras.awaitingBackoff = true;
  if (backoff > 0) {
    engine.timers.set(runTimerKey(run, 'backoff'), backoff, () => endBackoff(engine, run));
  }
  if (p.signal) signalRun(engine, run, { ...p.signal, identity: p.identity });
  if (!run.ms.wft) scheduleWorkflowTask(engine, run, 1);
  armRunTimeout(engine, run, runTimeout > 0 ? now + backoff + runTimeout : 0, expiration);
  engine.logger.debug(
    { namespace: p.namespace, workflowId: p.workflowId, runId, workflowType: p.workflowType },
    'workflow run started',
  );
  return run;
}

/** Dispatches the first workflow task of a run that waited for a start delay or backoff. */
export function endBackoff(engine: Engine, run: Run): void {
  engine.timers.clear(runTimerKey(run, 'backoff'));
  run.extras.awaitingBackoff = false;
  scheduleWorkflowTask(engine, run, 1);
}

export function armRunTimeout(engine: Engine, run: Run, runDeadline: number, expiration: number): void {
  const deadlines = [runDeadline, expiration].filter((d) => d > 0);
  if (deadlines.length === 0) return;
  engine.timers.set(runTimerKey(run, 'run-timeout'), Math.min(...deadlines) - Date.now(), () => {
    if (!run.isOpen) return;
    const failure: IFailure = {
      message: 'workflow timeout',
      timeoutFailureInfo: { timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
    };
    // Execution expiry is final; a run timeout may be retried (or reports RETRY_POLICY_NOT_SET), as on the server.
    const expired = expiration > 0 && Date.now() >= expiration;
    const retried = expired ? { retryState: RetryState.RETRY_STATE_TIMEOUT } : retryOnFailure(engine, run, failure);
    const cron = expired || 'start' in retried ? null : cronNext(engine, run, { failure });
    const retry = cron ? { ...retried, newRunId: cron.newRunId, start: cron.start } : retried;
    forceClose(
      engine,
      run,
      E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
      {
        workflowExecutionTimedOutEventAttributes: {
          retryState: retry.retryState ?? RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET,
          newExecutionRunId: 'newRunId' in retry ? retry.newRunId : '',
        },
      },
      'history-service',
    );
    if ('start' in retry) retry.start?.();
  });
}

export function inheritedParams(run: Run): Omit<StartParams, 'requestId' | 'identity'> {
  const started = run.ms.startedEvent?.workflowExecutionStartedEventAttributes ?? {};
  return {
    namespace: run.namespace,
    workflowId: run.workflowId,
    workflowType: run.ms.workflowType,
    taskQueue: run.ms.taskQueue,
    input: run.ms.input,
    header: run.ms.header,
    memo: run.ms.memo,
    searchAttributes: run.ms.searchAttributes,
    executionTimeoutMs: run.ms.executionTimeoutMs,
    runTimeoutMs: run.ms.runTimeoutMs,
    taskTimeoutMs: run.ms.taskTimeoutMs,
    retryPolicy: started.retryPolicy ?? null,
    cronSchedule: started.cronSchedule ?? '',
    parent: run.ms.parent ?? undefined,
    root: run.ms.root,
    firstRunId: run.ms.firstRunId,
    expiration: run.ms.executionExpiration,
    attempt: 1,
  };
}

/** Workflow retry policy on failure/timeout: returns the retry state and, if retrying, how to start the next run. */
export function retryOnFailure(
  engine: Engine,
  run: Run,
  failure: IFailure,
): { retryState?: number; newRunId?: string; start?: () => void } {
  const policy = run.ms.startedEvent?.workflowExecutionStartedEventAttributes?.retryPolicy;
  if (!policy) return {};
  const decision = decideRetry(policy, run.ms.attempt, failure, run.ms.executionExpiration);
  if (!decision.retry) return { retryState: decision.retryState };
  const newRunId = randomUUID();
  run.extras.retriedAs = newRunId;
  return {
    retryState: RetryState.RETRY_STATE_IN_PROGRESS,
    newRunId,
    start: () => {
      createRun(engine, {
        ...inheritedParams(run),
        runId: newRunId,
        requestId: randomUUID(),
        identity: 'history-service',
        attempt: run.ms.attempt + 1,
        backoffMs: decision.delayMs,
        continued: {
          runId: run.runId,
          initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
          failure,
        },
      });
    },
  };
}

type CanAttrs = L<pb.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes>;

export function continueAsNew(engine: Engine, run: Run, a: CanAttrs, completedId: number): void {
  const base = inheritedParams(run);
  const newRunId = randomUUID();
  const params: StartParams = {
    ...base,
    runId: newRunId,
    requestId: randomUUID(),
    identity: 'history-service',
    workflowType: a.workflowType?.name || base.workflowType,
    taskQueue: a.taskQueue?.name || base.taskQueue,
    input: a.input,
    header: a.header ?? base.header,
    memo: a.memo ?? base.memo,
    searchAttributes: a.searchAttributes ?? base.searchAttributes,
    runTimeoutMs: durationMs(a.workflowRunTimeout) || base.runTimeoutMs,
    taskTimeoutMs: durationMs(a.workflowTaskTimeout) || base.taskTimeoutMs,
    retryPolicy: a.retryPolicy ?? base.retryPolicy,
    backoffMs: durationMs(a.backoffStartInterval),
    continued: {
      runId: run.runId,
      initiator: a.initiator || enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      lastCompletionResult: a.lastCompletionResult,
      failure: a.failure,
    },
  };
  run.append(E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
    workflowExecutionContinuedAsNewEventAttributes: {
      newExecutionRunId: newRunId,
      workflowType: { name: params.workflowType },
      taskQueue: { name: params.taskQueue, kind: 1 },
      input: a.input,
      header: params.header,
      memo: params.memo,
      searchAttributes: params.searchAttributes,
      workflowRunTimeout: optDuration(params.runTimeoutMs ?? 0),
      workflowTaskTimeout: msDuration(params.taskTimeoutMs ?? 10_000),
      workflowTaskCompletedEventId: completedId,
      backoffStartInterval: a.backoffStartInterval,
      initiator: params.continued?.initiator,
      failure: a.failure,
      lastCompletionResult: a.lastCompletionResult,
    },
  });
  createRun(engine, params);
}

/** If the run is a cron run, the id of its successor and how to start it once the close event is written. */
export function cronNext(
  engine: Engine,
  run: Run,
  carry: { lastCompletionResult?: IPayloads | null; failure?: IFailure | null },
): { newRunId: string; start: () => void } | null {
  const cron = run.ms.startedEvent?.workflowExecutionStartedEventAttributes?.cronSchedule ?? '';
  if (!cron) return null;
  const backoffMs = cronBackoffMs(cron, run.ms.executionTime, Date.now());
  if (backoffMs < 0) return null;
  const newRunId = randomUUID();
  // Marks the chain as going on: the parent is not told, in-flight updates get a retryable error.
  run.extras.retriedAs = newRunId;
  return {
    newRunId,
    start: () => {
      createRun(engine, {
        ...inheritedParams(run),
        runId: newRunId,
        requestId: randomUUID(),
        identity: 'history-service',
        attempt: 1,
        backoffMs,
        continued: {
          runId: run.runId,
          initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
          lastCompletionResult:
            carry.lastCompletionResult ??
            run.ms.startedEvent?.workflowExecutionStartedEventAttributes?.lastCompletionResult,
          failure: carry.failure ?? null,
        },
      });
    },
  };
}

/**
 * Where updates meet the workflow task lifecycle: a speculative task (not in history until it is kept) carries
 * an update when no task is pending; a speculative task that only rejected updates leaves no trace; closing a
 * run aborts the updates still in flight.
 */
import { status } from '@grpc/grpc-js';
import type { L, pb } from '../wire/proto.js';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import { durationMs } from '../wire/proto.js';
import type { temporal } from '../wire/proto.js';
import { RpcError, notFound } from '../wire/errors.js';
import { nextGeneration } from '../state/mutable-state.js';
import { dispatchWorkflowTask, runTimerKey } from '../core/wft-schedule.js';
import { answerQueries, settleQueries } from '../core/query-registry.js';
import { hasOutgoing, registryOf, settle } from './registry.js';
import { beginMessages, finishMessages } from './protocol.js';

type CompletedReq = ReturnType<typeof temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedRequest.decode>;
type Message = L<pb.api.protocol.v1.IMessage>;

const speculative = new WeakMap<Run, number>();

export function isSpeculative(run: Run): boolean {
  const wft = run.ms.wft;
  return !!wft && wft.transient && speculative.get(run) === wft.generation;
}

/**
 * Gets an admitted update to the workflow: a speculative task if nothing is pending (its Scheduled/Started
 * events are shown to the worker but written only if the task produces history, like a transient task).
 */
export function deliverUpdates(engine: Engine, run: Run): void {
  if (!run.isOpen || run.ms.wft || run.extras.awaitingBackoff) return;
  const sticky = run.extras.sticky;
  const generation = nextGeneration();
  run.ms.wft = {
    scheduledId: run.ms.nextEventId,
    startedId: 0,
    attempt: 1,
    queue: sticky ? sticky.queue : run.ms.taskQueue,
    sticky: !!sticky,
    scheduledTime: Date.now(),
    startedTime: 0,
    transient: true,
    generation,
  };
  speculative.set(run, generation);
  run.touch();
  dispatchWorkflowTask(engine, run);
}

/**
 * A speculative task completed with nothing but rejections (no commands, no new events): it is dropped and
 * history is untouched, as on the server. Returns false when the task must be written as a normal one.
 */
export function dropSpeculative(engine: Engine, run: Run, req: CompletedReq): boolean {
  const messages = (req.messages ?? []) as Message[];
  if (
    !isSpeculative(run) ||
    (req.commands ?? []).length > 0 ||
    run.buffered.length > 0 ||
    req.forceCreateNewWorkflowTask
  )
    return false;
  if (messages.some((m) => !(m.body?.type_url ?? '').endsWith('temporal.api.update.v1.Rejection'))) return false;
  engine.timers.clear(runTimerKey(run, 'wft-stc'));
  beginMessages(run, messages);
  finishMessages(run);
  run.ms.wft = null;
  speculative.delete(run);
  const stickyQueue = req.stickyAttributes?.workerTaskQueue?.name;
  run.extras.sticky = stickyQueue
    ? { queue: stickyQueue, scheduleToStartMs: durationMs(req.stickyAttributes?.scheduleToStartTimeout) || 5000 }
    : null;
  run.touch();
  answerQueries(run, req.queryResults);
  afterTaskCompleted(engine, run);
  settleQueries(run);
  return true;
}

/** Updates admitted while a task ran need a task of their own. */
export function afterTaskCompleted(engine: Engine, run: Run): void {
  if (hasOutgoing(run)) deliverUpdates(engine, run);
}

const ACCEPTED_BUT_CLOSED = {
  message: 'Workflow Update failed because the Workflow completed before the Update completed.',
  source: 'Server',
  applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
};

/**
 * The run closed: updates not yet accepted fail with an error (retryable UNAVAILABLE when a new run follows, so
 * the client's retry reaches it), accepted ones get a failure outcome. Like the server, nothing is written.
 */
export function abortUpdates(run: Run): void {
  const continuing = run.ms.status === 'ContinuedAsNew' || !!run.extras.retriedAs;
  for (const entry of [...registryOf(run).values()]) {
    if (entry.state === 'accepted') {
      if (!entry.outcome) settle(run, entry, { outcome: { failure: ACCEPTED_BUT_CLOSED } });
    } else if (entry.state === 'admitted' || entry.state === 'sent') {
      settle(run, entry, {
        error: continuing
          ? new RpcError(status.UNAVAILABLE, 'workflow operation can not be applied because workflow is closing')
          : notFound('workflow update was aborted by closing workflow'),
      });
    }
  }
}

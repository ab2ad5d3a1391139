/** Worker-facing task RPCs: long polls, workflow task responses, sticky queue reset, worker shutdown. */
import type { Engine } from '../state/engine.js';
import type { temporal } from '../wire/proto.js';
import { invalidArgument } from '../wire/errors.js';
import type { CallContext } from '../wire/call.js';
import {
  releaseStickyQueue,
  resetStickyTaskQueue,
  respondWorkflowTaskCompleted,
  respondWorkflowTaskFailed,
} from '../core/wft-respond.js';
import { activityHandlers } from './activity-rpc.js';

type V1 = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof V1> = V1[K] extends { decode(...args: never[]): infer R } ? R : never;

/** As the server's frontend: a long poll without a gRPC deadline is refused, it could hold a task forever. */
function requireDeadline(ctx: CallContext): void {
  if (!Number.isFinite(ctx.deadlineMs)) throw invalidArgument('Context timeout is not set.');
}

export function taskHandlers(engine: Engine) {
  return {
    PollWorkflowTaskQueue: async (req: Req<'PollWorkflowTaskQueueRequest'>, ctx: CallContext) => {
      requireDeadline(ctx);
      const name = req.taskQueue?.name;
      if (!name) throw invalidArgument('TaskQueue is not set on request.');
      const res = await engine.matching.poll(
        req.namespace,
        'workflow',
        name,
        { identity: req.identity },
        ctx.signal,
        engine.config.longPollMs,
      );
      return res ?? {};
    },
    PollActivityTaskQueue: async (req: Req<'PollActivityTaskQueueRequest'>, ctx: CallContext) => {
      requireDeadline(ctx);
      const name = req.taskQueue?.name;
      if (!name) throw invalidArgument('TaskQueue is not set on request.');
      const res = await engine.matching.poll(
        req.namespace,
        'activity',
        name,
        { identity: req.identity },
        ctx.signal,
        engine.config.longPollMs,
      );
      return res ?? {};
    },
    RespondWorkflowTaskCompleted: (req: Req<'RespondWorkflowTaskCompletedRequest'>) =>
      respondWorkflowTaskCompleted(engine, req),
    RespondWorkflowTaskFailed: (req: Req<'RespondWorkflowTaskFailedRequest'>) => respondWorkflowTaskFailed(engine, req),
    ResetStickyTaskQueue: (req: Req<'ResetStickyTaskQueueRequest'>) => {
      resetStickyTaskQueue(engine, req.namespace, req.execution?.workflowId ?? '', req.execution?.runId ?? '');
      return {};
    },
    ShutdownWorker: (req: Req<'ShutdownWorkerRequest'>) => {
      releaseStickyQueue(engine, req.namespace, req.stickyTaskQueue);
      return {};
    },
    ...activityHandlers(engine),
  };
}

/** Queries as legacy query tasks: sticky queue first (empty history) then the normal queue (full history). */
import type { L, pb, temporal } from '../wire/proto.js';
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';

import { RpcError, invalidArgument, queryFailed, workflowNotReady } from '../wire/errors.js';
import { unstick } from './wft-schedule.js';
import { decodeToken, encodeToken } from '../wire/tokens.js';
import { bufferQuery, forgetQuery } from './query-registry.js';
import { STATUS_CODES } from '../visibility/evaluate.js';

type V1 = typeof temporal.api.workflowservice.v1;
type QueryReq = ReturnType<V1['QueryWorkflowRequest']['decode']>;
type QueryResp = L<pb.api.workflowservice.v1.IQueryWorkflowResponse>;
type AnswerReq = ReturnType<V1['RespondQueryTaskCompletedRequest']['decode']>;
type PollResponse = L<pb.api.workflowservice.v1.IPollWorkflowTaskQueueResponse>;

interface PendingQuery {
  state: 'pending' | 'started' | 'done';
  resolve: (r: QueryResp) => void;
  reject: (e: Error) => void;
}

const pending = new Map<string, PendingQuery>();
const ANSWERED = 1;
/** The server fails queries fast while the workflow task keeps failing (failQueryWorkflowTaskAttemptCount). */
const FAIL_QUERY_AT_ATTEMPT = 3;
const NOT_OPEN = 2;
const NOT_COMPLETED_CLEANLY = 3;

export function queryWorkflow(engine: Engine, run: Run, req: QueryReq, signal: AbortSignal): Promise<QueryResp> {
  const reject = req.queryRejectCondition ?? 0;
  if (!run.isOpen && (reject === NOT_OPEN || (reject === NOT_COMPLETED_CLEANLY && run.ms.status !== 'Completed'))) {
    return Promise.resolve({ queryRejected: { status: STATUS_CODES[run.ms.status] ?? 0 } });
  }
  if (!req.query?.queryType) throw invalidArgument('QueryType is not set on request.');
  const completedAnyTask = run.ms.lastCompletedWftStartedId > 0;
  if (!run.isOpen && !completedAnyTask) throw workflowNotReady('Workflow closed before task started.');
  if (run.isOpen && !run.ms.wft && !completedAnyTask) throw workflowNotReady('Workflow task is not scheduled yet.');
  if ((run.ms.wft?.attempt ?? 0) >= FAIL_QUERY_AT_ATTEMPT)
    throw workflowNotReady('Unable to query workflow due to Workflow Task in failed state.');
  const id = randomUUID();
  return new Promise<QueryResp>((resolve, rejectFn) => {
    const q: PendingQuery = {
      state: 'pending',
      resolve: (r) => finish(() => resolve(r)),
      reject: (e) => finish(() => rejectFn(e)),
    };
    const cleanup: (() => void)[] = [];
    const finish = (fn: () => void): void => {
      if (q.state === 'done') return;
      q.state = 'done';
      pending.delete(id);
      for (const c of cleanup) c();
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => q.reject(new RpcError(status.CANCELLED, 'query canceled by the client'));
    const timer = setTimeout(
      () => q.reject(new RpcError(status.DEADLINE_EXCEEDED, 'query timed out: no worker answered')),
      engine.config.queryTimeoutMs,
    );
    timer.unref();
    signal.addEventListener('abort', onAbort);
    pending.set(id, q);
    const dispatchLegacy = (): void => {
      if (q.state === 'pending') dispatchLegacyQuery(engine, run, id, q, req.query ?? {});
    };
    if (run.isOpen && run.ms.wft) {
      // A task is pending: answer after it, on the state it produces (consistent query).
      bufferQuery(run, id, {
        query: req.query ?? {},
        inTask: 0,
        dispatchLegacy,
        answer: (result) => {
          if (result.resultType === ANSWERED) q.resolve({ queryResult: result.answer });
          else q.reject(queryFailed(result.errorMessage || result.failure?.message || 'query failed'));
        },
      });
      cleanup.push(() => forgetQuery(run, id));
    } else {
      dispatchLegacy();
    }
  });
}

function dispatchLegacyQuery(
  engine: Engine,
  run: Run,
  id: string,
  q: PendingQuery,
  query: L<pb.api.query.v1.IWorkflowQuery>,
): void {
  const task = (sticky: boolean) => (): PollResponse | null => {
    if (q.state !== 'pending') return null;
    q.state = 'started';
    return {
      taskToken: encodeToken({ k: 'qry', id }),
      workflowExecution: run.execution,
      workflowType: { name: run.ms.workflowType },
      previousStartedEventId: run.ms.lastCompletedWftStartedId,
      startedEventId: 0,
      attempt: 1,
      query,
      history: { events: sticky ? [] : [...run.events] },
      workflowExecutionTaskQueue: { name: run.ms.taskQueue, kind: 1 },
      queries: {},
      messages: [],
    };
  };
  const sticky = run.isOpen ? run.extras.sticky : null;
  if (sticky) {
    engine.matching.offer(run.namespace, 'workflow', sticky.queue, task(true));
    const fallback = setTimeout(() => {
      if (q.state !== 'pending') return;
      // No sticky worker answered in time: drop stickiness, as the server does, and use the normal queue.
      if (run.isOpen && run.extras.sticky?.queue === sticky.queue) unstick(engine, run);
      engine.matching.offer(run.namespace, 'workflow', run.ms.taskQueue, task(false));
    }, sticky.scheduleToStartMs);
    fallback.unref();
  } else {
    engine.matching.offer(run.namespace, 'workflow', run.ms.taskQueue, task(false));
  }
}

export function respondQueryTaskCompleted(req: AnswerReq): void {
  const token = decodeToken(req.taskToken);
  if (token.k !== 'qry') throw invalidArgument('Error deserializing task token.');
  const q = pending.get(token.id);
  if (!q) throw new RpcError(status.NOT_FOUND, 'query task not found, or already expired');
  if (req.completedType === ANSWERED) q.resolve({ queryResult: req.queryResult });
  else q.reject(queryFailed(req.errorMessage || req.failure?.message || 'query failed'));
}

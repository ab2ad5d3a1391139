/** Activity RPCs: poll, heartbeat and the Respond* calls, by task token and by workflow/activity id. */
import type { L, pb, temporal } from '../wire/proto.js';
import type { Engine } from '../state/engine.js';
import type { Run, ActivityRuntime } from '../state/run.js';
import type { ActivityInfo } from '../state/mutable-state.js';
import type { IPayloads } from '../wire/proto.js';
import { notFound, invalidArgument } from '../wire/errors.js';
import { decodeToken } from '../wire/tokens.js';
import { armHeartbeatTimer, resolveActivity } from '../core/activities.js';
import type { ActivityOutcome } from '../core/activities.js';

type Svc = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof Svc> = Svc[K] extends { decode(...args: never[]): infer R } ? R : never;

interface Located {
  run: Run;
  info: ActivityInfo;
  rt: ActivityRuntime;
}

const notFoundMsg = 'invalid activityID or activity already timed out or invoking workflow is completed';

function locateByToken(engine: Engine, tokenBytes: Uint8Array | null | undefined): Located {
  const token = decodeToken(tokenBytes);
  if (token.k !== 'act') throw invalidArgument('Error deserializing task token.');
  const run = engine.store.get(token.ns, token.wid, token.rid);
  const info = run?.ms.activities.get(token.sid);
  const rt = run?.extras.activities.get(token.sid);
  if (!run || !run.isOpen || !info || !rt || rt.attempt !== token.att || rt.state !== 'started')
    throw notFound(notFoundMsg);
  return { run, info, rt };
}

function locateById(engine: Engine, namespace: string, workflowId: string, runId: string, activityId: string): Located {
  if (!workflowId || !activityId) throw invalidArgument('WorkflowId and ActivityId are required.');
  const run = engine.store.get(namespace, workflowId, runId || undefined);
  const sid = run?.ms.activityIds.get(activityId);
  const info = sid !== undefined ? run?.ms.activities.get(sid) : undefined;
  const rt = info ? run?.extras.activities.get(info.scheduledId) : undefined;
  if (!run || !run.isOpen || !info || !rt) throw notFound(notFoundMsg);
  return { run, info, rt };
}

function heartbeat(
  engine: Engine,
  loc: Located,
  details: IPayloads | null | undefined,
): L<pb.api.workflowservice.v1.IRecordActivityTaskHeartbeatResponse> {
  // Like the server, a heartbeat replaces the recorded details, even with none.
  loc.rt.heartbeatDetails = details;
  loc.rt.lastHeartbeatTime = Date.now();
  loc.run.touch();
  armHeartbeatTimer(engine, loc.run, loc.info, loc.rt);
  return { cancelRequested: loc.info.cancelRequested, activityPaused: false, activityReset: false };
}

function respond(engine: Engine, loc: Located, outcome: ActivityOutcome): void {
  resolveActivity(engine, loc.run, loc.info, loc.rt, outcome);
}

export function activityHandlers(engine: Engine) {
  return {
    RecordActivityTaskHeartbeat: (req: Req<'RecordActivityTaskHeartbeatRequest'>) =>
      heartbeat(engine, locateByToken(engine, req.taskToken), req.details),
    RecordActivityTaskHeartbeatById: (req: Req<'RecordActivityTaskHeartbeatByIdRequest'>) =>
      heartbeat(engine, locateById(engine, req.namespace, req.workflowId, req.runId, req.activityId), req.details),
    RespondActivityTaskCompleted: (req: Req<'RespondActivityTaskCompletedRequest'>) => {
      respond(engine, locateByToken(engine, req.taskToken), {
        kind: 'completed',
        result: req.result,
        identity: req.identity,
      });
      return {};
    },
    RespondActivityTaskCompletedById: (req: Req<'RespondActivityTaskCompletedByIdRequest'>) => {
      respond(engine, locateById(engine, req.namespace, req.workflowId, req.runId, req.activityId), {
        kind: 'completed',
        result: req.result,
        identity: req.identity,
      });
      return {};
    },
    RespondActivityTaskFailed: (req: Req<'RespondActivityTaskFailedRequest'>) => {
      respond(engine, locateByToken(engine, req.taskToken), {
        kind: 'failed',
        failure: req.failure,
        details: req.lastHeartbeatDetails,
        identity: req.identity,
      });
      return { failures: [] };
    },
    RespondActivityTaskFailedById: (req: Req<'RespondActivityTaskFailedByIdRequest'>) => {
      const loc = locateById(engine, req.namespace, req.workflowId, req.runId, req.activityId);
      respond(engine, loc, {
        kind: 'failed',
        failure: req.failure,
        details: req.lastHeartbeatDetails,
        identity: req.identity,
      });
      return { failures: [] };
    },
    RespondActivityTaskCanceled: (req: Req<'RespondActivityTaskCanceledRequest'>) => {
      respond(engine, locateByToken(engine, req.taskToken), {
        kind: 'canceled',
        details: req.details,
        identity: req.identity,
      });
      return {};
    },
    RespondActivityTaskCanceledById: (req: Req<'RespondActivityTaskCanceledByIdRequest'>) => {
      respond(engine, locateById(engine, req.namespace, req.workflowId, req.runId, req.activityId), {
        kind: 'canceled',
        details: req.details,
        identity: req.identity,
      });
      return {};
    },
  };
}

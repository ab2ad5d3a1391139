/** Listing and counting executions (derived from the runs), with the query subset of list-query.ts. */
import type { L, pb, temporal } from './proto.js';
import type { Engine } from './engine.js';
import type { Run } from './run.js';
import type { IPayload } from './proto.js';
import { executionInfo } from './describe.js';
import { parseListQuery } from './list-query.js';

type V1 = typeof temporal.api.workflowservice.v1;
type ListReq = ReturnType<V1['ListWorkflowExecutionsRequest']['decode']>;
type CountReq = ReturnType<V1['CountWorkflowExecutionsRequest']['decode']>;

function decodePayload(p: IPayload | null | undefined): unknown {
  if (!p?.data) return undefined;
  try {
    return JSON.parse(Buffer.from(p.data).toString('utf8'));
  } catch {
    return undefined;
  }
}

function iso(ms: number): string | undefined {
  return ms ? new Date(ms).toISOString() : undefined;
}

function lookup(run: Run): (field: string) => unknown {
  const ms = run.ms;
  return (field) => {
    switch (field) {
      case 'WorkflowId': return run.workflowId;
      case 'RunId': return run.runId;
      case 'WorkflowType': return ms.workflowType;
      case 'ExecutionStatus': return ms.status;
      case 'TaskQueue': return ms.taskQueue;
      case 'StartTime': return iso(ms.startTime);
      case 'CloseTime': return iso(ms.closeTime);
      case 'ExecutionTime': return iso(ms.executionTime);
      case 'ParentWorkflowId': return ms.parent?.execution.workflowId ?? undefined;
      case 'RootWorkflowId': return ms.root?.workflowId ?? run.workflowId;
      case 'HistoryLength': return run.events.length;
      default: return decodePayload(ms.searchAttributes.indexedFields?.[field]);
    }
  };
}

function matching(engine: Engine, namespace: string, query: string): Run[] {
  const predicate = parseListQuery(query);
  return engine.store
    .all(namespace)
    .filter((run) => predicate(lookup(run)))
    .sort((a, b) => b.ms.startTime - a.ms.startTime || (a.runId < b.runId ? -1 : 1));
}

export function listWorkflows(engine: Engine, req: ListReq): L<pb.api.workflowservice.v1.IListWorkflowExecutionsResponse> {
  const all = matching(engine, req.namespace, req.query ?? '');
  const offset = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString('utf8')) : 0;
  const size = req.pageSize > 0 ? req.pageSize : 1000;
  const page = all.slice(offset, offset + size);
  const next = offset + page.length < all.length ? Buffer.from(String(offset + page.length), 'utf8') : null;
  return { executions: page.map(executionInfo), nextPageToken: next };
}

export function countWorkflows(engine: Engine, req: CountReq): L<pb.api.workflowservice.v1.ICountWorkflowExecutionsResponse> {
  const query = req.query ?? '';
  const groupBy = /group\s+by\s+ExecutionStatus/i.test(query);
  const runs = matching(engine, req.namespace, query.replace(/group\s+by\s+\w+/i, ''));
  if (!groupBy) return { count: runs.length, groups: [] };
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.ms.status, (counts.get(r.ms.status) ?? 0) + 1);
  return {
    count: runs.length,
    groups: [...counts.entries()].map(([status, count]) => ({
      groupValues: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(status)) }],
      count,
    })),
  };
}

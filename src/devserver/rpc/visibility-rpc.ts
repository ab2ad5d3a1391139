/** List/Scan/Count of workflow executions, derived from the runs, filtered with visibility/list-query.ts. */
import type { L, pb, temporal } from '../wire/proto.js';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { IPayload } from '../wire/proto.js';
import { executionInfo } from './describe.js';
import { STATUS_CODES } from '../visibility/evaluate.js';
import { invalidArgument } from '../wire/errors.js';
import { compileListQuery, typeOfFrom } from '../visibility/list-query.js';
import type { ListQuery, Lookup } from '../visibility/list-query.js';
import { allSearchAttributeTypes } from '../visibility/search-attributes.js';

type V1 = typeof temporal.api.workflowservice.v1;
type ListReq = ReturnType<V1['ListWorkflowExecutionsRequest']['decode']>;
type ScanReq = ReturnType<V1['ScanWorkflowExecutionsRequest']['decode']>;
type CountReq = ReturnType<V1['CountWorkflowExecutionsRequest']['decode']>;
type ListResp = L<pb.api.workflowservice.v1.IListWorkflowExecutionsResponse>;

/** The frontend's default (and maximum) visibility page size. */
const MAX_PAGE_SIZE = 1000;
const OPEN_CLOSE_TIME = Number.MAX_SAFE_INTEGER;

function decodePayload(p: IPayload | null | undefined): unknown {
  if (!p?.data || p.data.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(p.data).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A run's searchable fields: the system attributes plus its custom ones, by name. */
function lookup(run: Run): Lookup {
  const ms = run.ms;
  return (field) => {
    switch (field) {
      case 'WorkflowId':
        return run.workflowId;
      case 'RunId':
        return run.runId;
      case 'WorkflowType':
        return ms.workflowType;
      case 'ExecutionStatus':
        return ms.status;
      case 'TaskQueue':
        return ms.taskQueue;
      case 'StartTime':
        return ms.startTime || null;
      case 'CloseTime':
        return ms.closeTime || null;
      case 'ExecutionTime':
        return ms.executionTime || null;
      case 'ExecutionDuration':
        return ms.closeTime ? (ms.closeTime - ms.executionTime) * 1e6 : null;
      case 'ParentWorkflowId':
        return ms.parent?.execution.workflowId ?? null;
      case 'ParentRunId':
        return ms.parent?.execution.runId ?? null;
      case 'RootWorkflowId':
        return ms.root?.workflowId ?? run.workflowId;
      case 'RootRunId':
        return ms.root?.runId ?? run.runId;
      case 'HistoryLength':
      case 'StateTransitionCount':
        return run.events.length;
      case 'HistorySizeBytes':
        return run.historySizeBytes;
      default:
        return decodePayload(ms.searchAttributes.indexedFields?.[field]);
    }
  };
}

function compile(engine: Engine, namespace: string, query: string, forCount: boolean): ListQuery {
  const registry = engine.namespaces.require(namespace).searchAttributes;
  return compileListQuery(query, typeOfFrom(allSearchAttributeTypes([registry])), forCount);
}

type SortKey = [closeMs: number, startMs: number, runId: string];

function sortKey(run: Run): SortKey {
  return [run.ms.closeTime || OPEN_CLOSE_TIME, run.ms.startTime, run.runId];
}

/** The SQL store's order: open runs first, then by close time, start time (newest first), run id. */
function compareKeys(a: SortKey, b: SortKey): number {
  return b[0] - a[0] || b[1] - a[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

function defaultOrder(a: Run, b: Run): number {
  return compareKeys(sortKey(a), sortKey(b));
}

function matching(engine: Engine, namespace: string, q: ListQuery): Run[] {
  const rows = engine.store
    .all(namespace)
    .map((run) => ({ run, get: lookup(run) }))
    .filter((r) => q.matches(r.get));
  const order = q.order;
  rows.sort((a, b) => (order ? order(a.get, b.get) : 0) || defaultOrder(a.run, b.run));
  return rows.map((r) => r.run);
}

/**
 * Without ORDER BY the token is the last row's sort key, as the SQL store pages, so runs started between
 * pages are not listed twice; with ORDER BY it is an offset into the sorted result.
 */
type PageToken = { after: SortKey } | { offset: number };

function decodeToken(token: Uint8Array | null | undefined): PageToken | null {
  if (!token || token.length === 0) return null;
  try {
    const t = JSON.parse(Buffer.from(token).toString('utf8')) as { after?: unknown; offset?: unknown };
    const after = t.after;
    if (
      Array.isArray(after) &&
      after.length === 3 &&
      typeof after[0] === 'number' &&
      typeof after[1] === 'number' &&
      typeof after[2] === 'string'
    ) {
      return { after: after as SortKey };
    }
    if (typeof t.offset === 'number' && Number.isInteger(t.offset) && t.offset >= 0) return { offset: t.offset };
  } catch {
    // fall through to the error below
  }
  throw invalidArgument('Invalid NextPageToken.');
}

function page(engine: Engine, req: ListReq | ScanReq): ListResp {
  const q = compile(engine, req.namespace, req.query ?? '', false);
  const all = matching(engine, req.namespace, q);
  const token = decodeToken(req.nextPageToken);
  let from = 0;
  if (token && 'after' in token) {
    const i = all.findIndex((run) => compareKeys(sortKey(run), token.after) > 0);
    from = i < 0 ? all.length : i;
  } else if (token) {
    from = token.offset;
  }
  const size = req.pageSize > 0 ? Math.min(req.pageSize, MAX_PAGE_SIZE) : MAX_PAGE_SIZE;
  const rows = all.slice(from, from + size);
  const end = from + rows.length;
  const last = rows[rows.length - 1];
  const next = end < all.length && last ? (q.order ? { offset: end } : { after: sortKey(last) }) : null;
  return { executions: rows.map(executionInfo), nextPageToken: next ? Buffer.from(JSON.stringify(next)) : null };
}

/** Scan shares List's paging; the real server only drops the ordering guarantee for it. */
export function listWorkflows(engine: Engine, req: ListReq | ScanReq): ListResp {
  return page(engine, req);
}

export function countWorkflows(
  engine: Engine,
  req: CountReq,
): L<pb.api.workflowservice.v1.ICountWorkflowExecutionsResponse> {
  const q = compile(engine, req.namespace, req.query ?? '', true);
  const runs = matching(engine, req.namespace, q);
  if (q.groupBy.length === 0) return { count: runs.length, groups: [] };
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.ms.status, (counts.get(r.ms.status) ?? 0) + 1);
  const groups = [...counts.entries()].sort(([a], [b]) => (STATUS_CODES[a] ?? 0) - (STATUS_CODES[b] ?? 0));
  return {
    count: runs.length,
    // Group values are Keyword search attribute payloads, as the server encodes them.
    groups: groups.map(([status, count]) => ({
      groupValues: [
        {
          metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
          data: Buffer.from(JSON.stringify(status)),
        },
      ],
      count,
    })),
  };
}

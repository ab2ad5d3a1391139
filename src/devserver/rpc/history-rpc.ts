/** GetWorkflowExecutionHistory (paging, long poll for new events or the close event) and its reverse. */
import type { L, pb, temporal } from '../wire/proto.js';
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { IHistoryEvent } from '../wire/proto.js';
import { invalidArgument, workflowNotFound } from '../wire/errors.js';

type V1 = typeof temporal.api.workflowservice.v1;
type HistoryReq = ReturnType<V1['GetWorkflowExecutionHistoryRequest']['decode']>;
type ReverseReq = ReturnType<V1['GetWorkflowExecutionHistoryReverseRequest']['decode']>;
type HistoryResp = L<pb.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse>;

const CLOSE_EVENT = 2;
const DEFAULT_PAGE = 1000;

interface PageToken {
  rid: string;
  n: number;
}

function encodePage(token: PageToken): Buffer {
  return Buffer.from(JSON.stringify(token), 'utf8');
}

function decodePage(bytes: Uint8Array | null | undefined): PageToken | null {
  if (!bytes || bytes.length === 0) return null;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as PageToken;
  } catch {
    throw invalidArgument('Invalid NextPageToken.');
  }
}

function findRun(
  engine: Engine,
  namespace: string,
  execution: { workflowId?: string | null; runId?: string | null } | null | undefined,
  token: PageToken | null,
): Run {
  const workflowId = execution?.workflowId ?? '';
  const run = engine.store.get(namespace, workflowId, token?.rid || execution?.runId || undefined);
  if (!run) throw workflowNotFound(workflowId, execution?.runId);
  return run;
}

export async function getHistory(engine: Engine, req: HistoryReq, signal: AbortSignal): Promise<HistoryResp> {
  const token = decodePage(req.nextPageToken);
  const run = findRun(engine, req.namespace, req.execution, token);
  if (req.historyEventFilterType === CLOSE_EVENT) {
    if (run.isOpen && req.waitNewEvent)
      await run.waitForChangeUntil(() => !run.isOpen, signal, engine.config.longPollMs);
    if (run.ms.closeEvent) return { history: { events: [run.ms.closeEvent] }, nextPageToken: null };
    return { history: { events: [] }, nextPageToken: encodePage({ rid: run.runId, n: run.ms.nextEventId }) };
  }
  const first = token?.n ?? 1;
  if (req.waitNewEvent && run.isOpen && run.ms.nextEventId <= first) {
    await run.waitForChangeUntil(() => run.ms.nextEventId > first || !run.isOpen, signal, engine.config.longPollMs);
  }
  const pageSize = req.maximumPageSize > 0 ? req.maximumPageSize : DEFAULT_PAGE;
  const events = run.events.slice(first - 1, first - 1 + pageSize);
  const next = first + events.length;
  const more = next < run.ms.nextEventId;
  const keepPolling = req.waitNewEvent && run.isOpen;
  return { history: { events }, nextPageToken: more || keepPolling ? encodePage({ rid: run.runId, n: next }) : null };
}

export function getHistoryReverse(engine: Engine, req: ReverseReq): HistoryResp {
  const token = decodePage(req.nextPageToken);
  const run = findRun(engine, req.namespace, req.execution, token);
  const last = token?.n ?? run.events.length;
  const pageSize = req.maximumPageSize > 0 ? req.maximumPageSize : DEFAULT_PAGE;
  const from = Math.max(0, last - pageSize);
  const events: IHistoryEvent[] = run.events.slice(from, last).reverse();
  return { history: { events }, nextPageToken: from > 0 ? encodePage({ rid: run.runId, n: from }) : null };
}

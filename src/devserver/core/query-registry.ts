/**
 * Queries that wait for a workflow task (consistent queries, as the real server does when a task is pending):
 * they ride in the next task's `queries` and are answered in RespondWorkflowTaskCompleted.queryResults;
 * when no task is coming they fall back to a legacy query task. In memory only, like the server's registry.
 */
import type { Run } from '../state/run.js';
import type { L, pb } from '../wire/proto.js';

type WorkflowQuery = L<pb.api.query.v1.IWorkflowQuery>;
type QueryResult = L<pb.api.query.v1.IWorkflowQueryResult>;

export interface BufferedQuery {
  query: WorkflowQuery;
  /** Generation of the workflow task that carries it; 0 while waiting for one. */
  inTask: number;
  answer(result: QueryResult): void;
  dispatchLegacy(): void;
}

const registries = new WeakMap<Run, Map<string, BufferedQuery>>();

function registry(run: Run): Map<string, BufferedQuery> {
  let r = registries.get(run);
  if (!r) {
    r = new Map();
    registries.set(run, r);
  }
  return r;
}

export function bufferQuery(run: Run, id: string, q: BufferedQuery): void {
  registry(run).set(id, q);
}

export function forgetQuery(run: Run, id: string): void {
  registry(run).delete(id);
}

/** Hands the waiting queries to the workflow task being started. */
export function takeQueries(run: Run, generation: number): Record<string, WorkflowQuery> {
  const out: Record<string, WorkflowQuery> = {};
  for (const [id, q] of registry(run)) {
    if (q.inTask !== 0) continue;
    q.inTask = generation;
    out[id] = q.query;
  }
  return out;
}

/** Answers the queries a completed workflow task carried results for. */
export function answerQueries(run: Run, results: Record<string, QueryResult> | null | undefined): void {
  const r = registry(run);
  for (const [id, result] of Object.entries(results ?? {})) {
    r.get(id)?.answer(result);
    r.delete(id);
  }
}

/** After a task ended or the run closed: queries wait for the next task, or go out as legacy query tasks. */
export function settleQueries(run: Run): void {
  const r = registry(run);
  const taskComing = run.isOpen && !!run.ms.wft && !run.ms.wft.startedId;
  for (const [id, q] of r) {
    if (run.ms.wft?.startedId && q.inTask === run.ms.wft.generation) continue;
    if (taskComing) {
      q.inTask = 0;
    } else {
      r.delete(id);
      q.dispatchLegacy();
    }
  }
}

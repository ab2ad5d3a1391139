/** Index of runs: by run id, and the current run of each workflow id (derived from the runs). */
import type { Run } from './run.js';

/** What a durable store hears: a run changed (or was added), a run was deleted. */
export interface RunStoreListener {
  touched(run: Run): void;
  deleted(run: Run): void;
}

export class RunStore {
  private readonly runs = new Map<string, Run>();
  private readonly current = new Map<string, Run>();
  private listener: RunStoreListener | null = null;

  /** Attaches a listener to the runs already here and to every run added later. */
  listen(listener: RunStoreListener): void {
    this.listener = listener;
    const touched = (run: Run): void => listener.touched(run);
    for (const run of this.runs.values()) run.onTouch = touched;
  }

  add(run: Run): void {
    if (this.listener) {
      const listener = this.listener;
      run.onTouch = (r) => listener.touched(r);
      listener.touched(run);
    }
    this.runs.set(run.runId, run);
    this.current.set(key(run.namespace, run.workflowId), run);
  }

  get(namespace: string, workflowId: string, runId?: string | null): Run | undefined {
    if (runId) {
      const run = this.runs.get(runId);
      return run && run.namespace === namespace && run.workflowId === workflowId ? run : undefined;
    }
    return this.current.get(key(namespace, workflowId));
  }

  delete(run: Run): void {
    if (!this.runs.delete(run.runId)) return;
    run.onTouch = null;
    this.listener?.deleted(run);
    const k = key(run.namespace, run.workflowId);
    if (this.current.get(k) === run) this.current.delete(k);
  }

  byRunId(runId: string): Run | undefined {
    return this.runs.get(runId);
  }

  all(namespace: string): Run[] {
    return [...this.runs.values()].filter((r) => r.namespace === namespace);
  }

  allRuns(): IterableIterator<Run> {
    return this.runs.values();
  }
}

function key(namespace: string, workflowId: string): string {
  return `${namespace}\u0000${workflowId}`;
}

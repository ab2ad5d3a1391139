/** Finds every run a test produced: tracked runs plus their continue-as-new successors and children. */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export interface RunRef {
  workflowId: string;
  runId?: string;
}

type History = temporal.api.history.v1.IHistory;

export async function collectRunHistories(
  client: Client,
  roots: RunRef[],
): Promise<{ workflowId: string; history: History }[]> {
  const seen = new Set<string>();
  const out: { workflowId: string; history: History }[] = [];
  const queue = [...roots];
  for (let ref = queue.shift(); ref !== undefined; ref = queue.shift()) {
    const runId = ref.runId ?? (await client.workflow.getHandle(ref.workflowId).describe()).runId;
    const key = `${ref.workflowId}/${runId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const history = await client.workflow.getHandle(ref.workflowId, runId).fetchHistory();
    out.push({ workflowId: ref.workflowId, history });
    for (const event of history.events ?? []) {
      const started = event.workflowExecutionStartedEventAttributes;
      if (started?.continuedExecutionRunId)
        queue.push({ workflowId: ref.workflowId, runId: started.continuedExecutionRunId });
      const next = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (next) queue.push({ workflowId: ref.workflowId, runId: next });
      const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId && child.runId) queue.push({ workflowId: child.workflowId, runId: child.runId });
    }
  }
  return out;
}

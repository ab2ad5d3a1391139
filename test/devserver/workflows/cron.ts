/** Workflows for cronSchedule and the workflow-level retry policy. */
import { ApplicationFailure, ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';

/** Each cron run counts one more than the last completed run (lastResult carries over). */
export async function cronCounter(): Promise<number> {
  const last = workflowInfo().lastResult as number | undefined;
  return (last ?? 0) + 1;
}

/** Fails (retryably) until attempt `succeedAt`, then reports the attempt it succeeded on. */
export async function flakyUntil(succeedAt: number): Promise<number> {
  const { attempt } = workflowInfo();
  if (attempt < succeedAt) throw ApplicationFailure.retryable(`attempt ${attempt} failed`, 'Flaky');
  return attempt;
}

/** Starts `cronCounter` as a cron child (abandoned, so it outlives this run) and returns its first run id. */
export async function cronParent(childId: string): Promise<string> {
  const child = await startChild(cronCounter, {
    workflowId: childId,
    cronSchedule: '@every 1s',
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  return child.firstExecutionRunId;
}

/** Small versions of samples-typescript patterns: saga, mutex, patching. */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';

export interface SagaActivities {
  step(name: string): Promise<string>;
  undo(name: string): Promise<string>;
}

/** saga sample: steps run in order; when one fails, the undo steps run in reverse in a non-cancellable scope. */
export async function sagaWorkflow(steps: string[], failAt: string): Promise<string[]> {
  const acts = proxyActivities<SagaActivities>({ startToCloseTimeout: '5s', retry: { maximumAttempts: 1 } });
  const compensations: string[] = [];
  try {
    for (const s of steps) {
      if (s === failAt) throw ApplicationFailure.nonRetryable(`step ${s} failed`, 'StepFailed');
      compensations.unshift(s);
      await acts.step(s);
    }
    return [];
  } catch (err) {
    const undone: string[] = [];
    await CancellationScope.nonCancellable(async () => {
      for (const s of compensations) undone.push(await acts.undo(s));
    });
    throw ApplicationFailure.nonRetryable(`${(err as Error).message}; undone: ${undone.join(',')}`, 'SagaFailed');
  }
}

// mutex sample: a lock workflow grants a lease to one requester at a time over signals between workflows.
export const acquireSignal = defineSignal<[string]>('acquire');
export const releaseSignal = defineSignal<[string]>('release');
export const grantedSignal = defineSignal<[string]>('granted');
export const grantsQuery = defineQuery<string[]>('grants');

export async function lockWorkflow(expected: number): Promise<string[]> {
  const waiting: string[] = [];
  const log: string[] = [];
  let holder: string | undefined;
  setHandler(acquireSignal, (requester) => void waiting.push(requester));
  setHandler(releaseSignal, (requester) => {
    if (holder === requester) holder = undefined;
    log.push(`release:${requester}`);
  });
  setHandler(grantsQuery, () => log);
  for (let served = 0; served < expected; served++) {
    await condition(() => holder === undefined && waiting.length > 0);
    holder = waiting.shift() ?? '';
    log.push(`grant:${holder}`);
    await getExternalWorkflowHandle(holder).signal(grantedSignal, workflowInfo().workflowId);
  }
  await condition(() => holder === undefined);
  return log;
}

export async function lockRequester(lockId: string): Promise<string> {
  const me = workflowInfo().workflowId;
  let granted = false;
  setHandler(grantedSignal, () => {
    granted = true;
  });
  await getExternalWorkflowHandle(lockId).signal(acquireSignal, me);
  await condition(() => granted);
  await sleep(20); // the critical section
  await getExternalWorkflowHandle(lockId).signal(releaseSignal, me);
  return me;
}

/** patching sample: new code behind patched(); the marker goes in history and replay takes the same branch. */
export async function patchedWorkflow(): Promise<string> {
  if (patched('use-new-greeting')) {
    await sleep(5);
    return 'new';
  }
  return 'old';
}

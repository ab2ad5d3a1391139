/** Parents, children and external workflow handles. */
import {
  ChildWorkflowFailure,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import type { ParentClosePolicy } from '@temporalio/workflow';
import { finishSignal, pokeSignal } from './definitions.js';
import type { CaughtFailure } from './definitions.js';

function caught(err: unknown): CaughtFailure {
  const e = err as Error & { cause?: Error & { type?: string } };
  return {
    name: e.name,
    message: e.message,
    causeName: e.cause?.name,
    causeMessage: e.cause?.message,
    causeType: e.cause?.type,
  };
}

/** Executes a child to completion; a child failure is caught and reported rather than rethrown. */
export async function parentRunsChild(
  childType: string,
  args: unknown[],
  childId: string,
): Promise<{ result: unknown } | CaughtFailure> {
  try {
    return { result: await executeChild(childType, { args, workflowId: childId }) };
  } catch (err) {
    if (err instanceof ChildWorkflowFailure) return caught(err);
    throw err;
  }
}

/** Starts a blocking child with the given close policy and waits for `finish` before completing. */
export async function parentWithPolicy(childId: string, policy: ParentClosePolicy): Promise<string> {
  const child = await startChild('blockForever', { workflowId: childId, parentClosePolicy: policy });
  let done = false;
  setHandler(finishSignal, () => {
    done = true;
  });
  await condition(() => done);
  return child.firstExecutionRunId;
}

export async function signalExternal(targetId: string, payload: string): Promise<'sent' | CaughtFailure> {
  try {
    await getExternalWorkflowHandle(targetId).signal(pokeSignal, payload);
    return 'sent';
  } catch (err) {
    return caught(err);
  }
}

export async function cancelExternal(targetId: string): Promise<'requested' | CaughtFailure> {
  try {
    await getExternalWorkflowHandle(targetId).cancel();
    return 'requested';
  } catch (err) {
    return caught(err);
  }
}

/** Signals and queries shared by the conformance workflows and the tests that drive them. */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

export interface WaiterState {
  pokes: string[];
  phase: 'waiting' | 'finished';
}

export const pokeSignal = defineSignal<[string]>('poke');
export const finishSignal = defineSignal<[string]>('finish');
export const cancelActivitySignal = defineSignal('cancelActivity');
export const stateQuery = defineQuery<WaiterState>('state');
export const echoQuery = defineQuery<string, [string]>('echo');

/** A JSON-serialisable description of one activity call, so tests can define activities locally. */
export interface ActivityCall {
  name: string;
  args: unknown[];
  options: {
    taskQueue?: string;
    startToCloseTimeout?: string | number;
    scheduleToCloseTimeout?: string | number;
    scheduleToStartTimeout?: string | number;
    heartbeatTimeout?: string | number;
    activityId?: string;
    cancellationType?: 'TRY_CANCEL' | 'WAIT_CANCELLATION_COMPLETED' | 'ABANDON';
    retry?: {
      initialInterval?: string | number;
      backoffCoefficient?: number;
      maximumInterval?: string | number;
      maximumAttempts?: number;
      nonRetryableErrorTypes?: string[];
    };
  };
}

/** What a workflow saw when an awaited operation failed: the failure chain flattened to plain data. */
export interface CaughtFailure {
  name: string;
  message: string;
  causeName?: string;
  causeMessage?: string;
  causeType?: string;
}

/** Search attributes the suite uses; a real server needs them registered first. */
export const keywordKey = defineSearchAttributeKey('CustomKeywordField', SearchAttributeType.KEYWORD);
export const intKey = defineSearchAttributeKey('CustomIntField', SearchAttributeType.INT);

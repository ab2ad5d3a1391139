/**
 * An approved run's decision from its history: its result carries the approval only when it was not
 * approved (rejected, expired), so the accepted `approve`/`reject` update that completed with an outcome
 * is what tells who approved, via what, and on what live state.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { ApprovalDecision, ApprovalOutcome } from '../contract/approvals.js';
import { APPROVAL_DECISIONS } from '../contract/approvals.js';

type Event = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

export interface DecidedInHistory {
  outcome: ApprovalOutcome;
  decision: ApprovalDecision;
}

const first = <T>(payloads: Payloads): T | undefined => {
  const payload = payloads?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<T>(payload) : undefined;
};

/** The decision update that completed successfully, or null. */
export function decisionInHistory(events: readonly Event[]): DecidedInHistory | null {
  const accepted = new Map<string, ApprovalDecision>();
  for (const event of events) {
    const acceptedAttrs = event.workflowExecutionUpdateAcceptedEventAttributes;
    const input = acceptedAttrs?.acceptedRequest?.input;
    if (input?.name && (APPROVAL_DECISIONS as readonly string[]).includes(input.name)) {
      const decision = first<ApprovalDecision>(input.args);
      if (decision !== undefined) accepted.set(String(event.eventId), decision);
    }
    const completed = event.workflowExecutionUpdateCompletedEventAttributes;
    const decision = completed ? accepted.get(String(completed.acceptedEventId)) : undefined;
    const outcome = first<ApprovalOutcome>(completed?.outcome?.success);
    if (decision !== undefined && outcome !== undefined) return { outcome, decision };
  }
  return null;
}

/**
 * The approval gate of a handler run (issue 14): before any side effect, a handler that needs approval
 * records the request with what it would do, then waits for the `approve` / `reject` Workflow Update or
 * its expiry (a durable timer). The validator refuses a stale or unauthorised decision; an approval is
 * also checked against the live state again (a validator cannot do I/O), and refused when it moved.
 */
import { ApplicationFailure, condition, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type {
  ApprovalDecision,
  ApprovalOutcome,
  ApprovalSettings,
  ApprovalSnapshot,
  ApprovalState,
  DecisionChannel,
} from '../../contract/approvals.js';
import {
  APPROVAL_ACTIONS,
  APPROVAL_REFUSED,
  approvalQuery,
  approvalSupersededSignal,
  approveUpdate,
  rejectUpdate,
} from '../../contract/approvals.js';
import type { HandlerInput, WorkerSettings } from '../../contract/handlers.js';
import { failureMessage } from '../failures.js';
import { approvalLook, io } from './proxies.js';

/** A request made without a configured expiry (an input with `require_approval` in a run recorded before it). */
const FALLBACK_EXPIRY_MS = 30 * 60_000;

function refused(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: APPROVAL_REFUSED, nonRetryable: true, message });
}

/** The expiry when this run needs an approval, else null. */
export function approvalExpiryMs(flag: HandlerInput, approvals: ApprovalSettings | undefined): number | null {
  const configured = approvals?.expiresMs[flag.handler];
  if (configured !== undefined) return configured;
  return flag.require_approval === true ? (approvals?.defaultExpiresMs ?? FALLBACK_EXPIRY_MS) : null;
}

const OPERATOR_NAME = /^[^\p{Cc}]{1,100}$/u;
const MAX_COMMENT = 500;
const CHANNELS: readonly DecisionChannel[] = ['cli', 'flag', 'panel', 'temporal'];

/** Same line as the fingerprint's facts, for the refusal: which fact moved, from what to what. */
function changes(before: ApprovalSnapshot, now: ApprovalSnapshot): string {
  const keys = new Set([...Object.keys(before.facts), ...Object.keys(now.facts)]);
  const moved = [...keys].filter((key) => JSON.stringify(before.facts[key]) !== JSON.stringify(now.facts[key]));
  return moved
    .map((key) => `${key} was ${JSON.stringify(before.facts[key])}, is ${JSON.stringify(now.facts[key])}`)
    .join('; ');
}

/**
 * The approval protocol's handlers, registered for every run so a decision sent to a run that needs none
 * is refused clearly. `wait` runs the protocol and returns the final state, or null when none is needed.
 */
export function approvalGate(flag: HandlerInput) {
  let state: ApprovalState | null = null;
  /** Between the start of the request and its audit row: a decision then is early, not misdirected. */
  let preparing = false;
  let deciding = false;
  let saw: ApprovalSnapshot | null = null;
  let supersededBy: string | null = null;
  const commitsBack = flag.handler === 'rollback_code' ? flag.params.commits_back : undefined;
  const look = () => approvalLook.approvalSnapshot({ handler: flag.handler, commitsBack });

  setHandler(approvalQuery, () => state);
  setHandler(approvalSupersededSignal, ({ task_id }) => {
    supersededBy ??= task_id;
    if (state !== null) state = { ...state, superseded_by: supersededBy };
  });

  /** Every synchronous rule; the approval also passes the live-state check in its handler. */
  function validate(decision: ApprovalDecision, kind: 'approve' | 'reject'): void {
    const by = typeof decision?.by === 'string' ? decision.by : '';
    if (!OPERATOR_NAME.test(by))
      throw refused('the decision must name its operator ("by": 1-100 characters, no control characters)');
    const comment: unknown = decision?.comment;
    if (comment !== undefined && comment !== null && (typeof comment !== 'string' || comment.length > MAX_COMMENT))
      throw refused(`"comment" must be a string of at most ${MAX_COMMENT} characters`);
    if (state === null && preparing)
      throw refused(`task ${flag.task_id} is still preparing its approval request; try again in a moment`);
    if (state === null) throw refused(`task ${flag.task_id} does not wait for an approval`);
    if (state.status !== 'pending') {
      const who = state.decision === null ? '' : ` by ${state.decision.by} at ${state.decision.at}`;
      throw refused(`task ${flag.task_id} is already ${state.status}${who}`);
    }
    if (Date.now() >= Date.parse(state.expires_at)) throw refused(`the request expired at ${state.expires_at}`);
    if (state.superseded_by !== null)
      throw refused(`superseded by the newer task ${state.superseded_by} for the same worker: decide that one`);
    if (deciding) throw refused('another decision on this task is being checked');
    if (state.deciders.length > 0 && !state.deciders.includes(by))
      throw refused(`${by} may not decide: approvals.deciders lists ${state.deciders.join(', ')}`);
    if (kind === 'approve' && !state.allow_self_approval && by === state.requested_by)
      throw refused(`${by} requested this task and may not approve it too (approvals.allow_self_approval is false)`);
  }

  function decide(
    decision: ApprovalDecision,
    status: 'approved' | 'rejected',
    seen: ApprovalSnapshot,
  ): ApprovalOutcome {
    const at = new Date().toISOString();
    // A direct update may name any channel: only the known ones are recorded as such.
    const via = decision.via !== undefined && CHANNELS.includes(decision.via) ? decision.via : 'temporal';
    const record = { by: decision.by, comment: decision.comment ?? null, via, at };
    state = { ...(state as ApprovalState), status, decision: record };
    saw = seen;
    return { task_id: flag.task_id, decision: status, by: decision.by, at, saw: seen };
  }

  setHandler(
    approveUpdate,
    async (decision) => {
      deciding = true;
      try {
        const pending = state as ApprovalState;
        let live: ApprovalSnapshot;
        try {
          live = await look();
        } catch (error) {
          throw refused(`the live state could not be checked, nothing was approved: ${failureMessage(error)}`);
        }
        if (live.fingerprint !== pending.request.fingerprint)
          throw refused(
            `stale: the live state changed since the request (${changes(pending.request, live)}); file a new request`,
          );
        // The request may have expired, been decided or superseded while the check ran.
        deciding = false;
        validate(decision, 'approve');
        return decide(decision, 'approved', live);
      } finally {
        deciding = false;
      }
    },
    { validator: (decision) => validate(decision, 'approve') },
  );
  setHandler(rejectUpdate, (decision) => decide(decision, 'rejected', (state as ApprovalState).request), {
    validator: (decision) => validate(decision, 'reject'),
  });

  /** The protocol's own audit rows (the handler's report writes the final one). */
  const audit = (action: string, details: Record<string, unknown>, actor: string | null) =>
    io.recordAudit({
      task_id: flag.task_id,
      handler: flag.handler,
      label: flag.label ?? null,
      action,
      success: true,
      details,
      actor,
    });

  async function wait(settings: WorkerSettings, expiresMs: number): Promise<ApprovalState> {
    preparing = true;
    const request = await look();
    const info = workflowInfo();
    const now = Date.now();
    state = {
      status: 'pending',
      task_id: flag.task_id,
      handler: flag.handler,
      label: flag.label ?? null,
      requested_by: flag.requested_by ?? null,
      requested_at: new Date(now).toISOString(),
      expires_at: new Date(now + expiresMs).toISOString(),
      request,
      deciders: settings.approvals?.deciders ?? [],
      allow_self_approval: settings.approvals?.allowSelfApproval ?? false,
      decision: null,
      superseded_by: supersededBy,
    };
    const details = { summary: request.summary, facts: request.facts, expires_at: state.expires_at };
    await audit(APPROVAL_ACTIONS.requested, { ...details, deciders: state.deciders }, state.requested_by);
    preparing = false;
    try {
      await io.supersedeApprovals({
        taskId: flag.task_id,
        handler: flag.handler,
        startedAtMs: info.startTime.getTime(),
      });
    } catch (error) {
      // Best effort: an older request not told still faces the live-state check when approved.
      log.warn('older requests could not be told they are superseded', { error: failureMessage(error) });
    }
    const decided = () => (state as ApprovalState).status !== 'pending' && !deciding;
    if (!(await condition(decided, expiresMs))) {
      // An approval being checked when the timer fired is let finish: it was sent in time.
      await condition(() => !deciding);
      const current = state as ApprovalState;
      if (current.status === 'pending') state = { ...current, status: 'expired' };
    }
    const final = state as ApprovalState;
    if (final.status === 'approved' && final.decision !== null) {
      const { requested_by: requestedBy, requested_at: requestedAt } = final;
      const details = { ...final.decision, requested_by: requestedBy, requested_at: requestedAt, saw };
      await audit(APPROVAL_ACTIONS.approved, details, final.decision.by);
    }
    return final;
  }

  return { wait };
}

/** The error of a run that ended without approval: nothing was executed. */
export function unapprovedError(state: ApprovalState): string {
  if (state.status === 'expired') return `approval expired at ${state.expires_at}: nothing was done`;
  const comment = state.decision?.comment ? `: ${state.decision.comment}` : '';
  return `rejected by ${state.decision?.by ?? 'an operator'}${comment}; nothing was done`;
}

/**
 * Approval decision flags (`supervisor_approve_<workerId>.flag`, `supervisor_reject_<workerId>.flag`):
 * checked like any flag, then sent as the `approve` / `reject` Workflow Update (operator/approvals.ts).
 * Accepted: a receipt `<workerId>/<task_id>.<approve|reject>.json` and the flag leaves the inbox. Refused
 * by the workflow, or invalid: rejected like a bad flag (never retried). Temporal unreachable: it stays.
 */
import { readFile } from 'node:fs/promises';
import type { ApprovalDecisionKind, ApprovalOutcome } from '../contract/approvals.js';
import { handlerWorkflowId } from '../contract/ids.js';
import { readDecisionFile } from '../flags/index.js';
import { writeJsonAtomic } from '../lib/atomic.js';
import { decisionReceiptPath } from '../nas/paths.js';
import { DecisionRefused, decideApproval } from '../operator/approvals.js';
import { handleUnread, reject } from './context.js';
import type { ProcessContext, ProcessResult } from './context.js';
import { removeIfThere } from './reject.js';
import type { Waiting } from './scan.js';

/** What `Worker_Outbox/<workerId>/<task_id>.approve.json` (or `.reject.json`) holds. */
export interface DecisionReceipt extends ApprovalOutcome {
  kind: ApprovalDecisionKind;
  worker_id: string;
  workflow_id: string;
  comment: string | null;
  via: 'flag';
  sha256: string;
  file: string;
}

/**
 * The update waits for the worker's validator and, for an approval, the live-state check: longer than a
 * start may take, but bounded, so a worker that is down costs a retry later rather than a stuck ingest.
 */
const DECISION_DEADLINE_MS = 60_000;

/** A receipt for these very bytes: the decision went through and only the delete was lost (a crash). */
async function alreadyDecided(file: string, sha256: string, name: string): Promise<boolean> {
  try {
    const receipt = JSON.parse(await readFile(file, 'utf8')) as Partial<DecisionReceipt>;
    return receipt.sha256 === sha256 && receipt.file === name;
  } catch {
    return false;
  }
}

export async function processDecision(ctx: ProcessContext, waiting: Waiting, filePath: string): Promise<ProcessResult> {
  const { name } = waiting;
  const read = await readDecisionFile(filePath, ctx.parseOptions);
  if (!read.ok) return await handleUnread(ctx, waiting, read);
  const { decision, kind, workerId, sha256 } = read;
  const receiptFile = decisionReceiptPath(ctx.outbox, workerId, decision.task_id, kind);
  if (await alreadyDecided(receiptFile, sha256, name)) {
    await removeIfThere(filePath);
    return { kind: 'done', temporal: false };
  }
  let outcome: ApprovalOutcome;
  try {
    outcome = await ctx.client.withDeadline(Date.now() + DECISION_DEADLINE_MS, () =>
      decideApproval(ctx.client, {
        workerId,
        taskId: decision.task_id,
        kind,
        decision: { by: decision.requested_by, comment: decision.comment ?? null, via: 'flag' },
      }),
    );
  } catch (error) {
    if (!(error instanceof DecisionRefused)) return { kind: 'temporal', error };
    return await reject(ctx, waiting, { problems: [{ path: '(decision)', message: error.message }], sha256, workerId });
  }
  const receipt: DecisionReceipt = {
    ...outcome,
    kind,
    worker_id: workerId,
    workflow_id: handlerWorkflowId(workerId, decision.task_id),
    comment: decision.comment ?? null,
    via: 'flag',
    sha256,
    file: name,
  };
  await writeJsonAtomic(receiptFile, receipt);
  await removeIfThere(filePath);
  await ctx.event({
    type: 'flag_decided',
    worker_id: workerId,
    task_id: decision.task_id,
    decision: outcome.decision,
    by: outcome.by,
    file: name,
    sha256,
    saw: outcome.saw.summary,
  });
  ctx.logger.info(
    {
      task_id: decision.task_id,
      worker_id: workerId,
      decision: outcome.decision,
      by: outcome.by,
      saw: outcome.saw.summary,
    },
    'approval flag accepted; decision recorded by the workflow',
  );
  return { kind: 'done', temporal: true };
}

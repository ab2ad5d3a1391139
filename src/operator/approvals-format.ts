/** How `supervisor approvals`, `approve` and `reject` print: a table like `supervisor tasks`, one outcome. */
import type { ApprovalDecisionKind, ApprovalOutcome } from '../contract/approvals.js';
import type { ApprovalRow } from './approvals.js';
import { formatDuration, formatTable } from './format.js';

function statusOf(row: ApprovalRow): string {
  if (row.decision !== null) return `${row.status} by ${row.decision.by}`;
  if (row.status === 'pending' && row.superseded_by !== null) return `pending (superseded by ${row.superseded_by})`;
  return row.status;
}

function expiresIn(row: ApprovalRow): string {
  if (row.expires_in_ms === null) return '-';
  return row.expires_in_ms <= 0 ? 'expired' : formatDuration(row.expires_in_ms);
}

/** One row per request; the last column is what approving it would do (`request.summary`). */
export function formatApprovals(rows: readonly ApprovalRow[], allWorkers: boolean): string {
  if (rows.length === 0) return 'no pending approvals\n';
  const header = [
    'TASK',
    ...(allWorkers ? ['WORKER'] : []),
    'HANDLER',
    'LABEL',
    'REQUESTED BY',
    'AGE',
    'EXPIRES IN',
    'STATUS',
  ];
  const table = rows.map((row): [string[], string] => [
    [
      row.task_id,
      ...(allWorkers ? [row.worker_id] : []),
      row.handler,
      row.label ?? '-',
      row.requested_by ?? '-',
      formatDuration(Math.max(row.age_ms, 0)),
      expiresIn(row),
      statusOf(row),
    ],
    row.request.summary,
  ]);
  return formatTable(header, 'WILL DO', table);
}

/** `task X approved by alice at …` and what the decision was checked against. */
export function formatDecision(kind: ApprovalDecisionKind, outcome: ApprovalOutcome): string {
  const against = kind === 'approve' ? 'checked against the live state' : 'the request was';
  return `task ${outcome.task_id} ${outcome.decision} by ${outcome.by} at ${outcome.at}\n${against}: ${outcome.saw.summary}\n`;
}

import type { Stats } from 'node:fs';
import { decisionReadingOf, readFlagFile } from '../flags/index.js';
import type { Flag } from '../flags/index.js';
import type { LedgerEntry } from './ledger.js';
import { handleUnread, reject } from './context.js';
import type { ProcessContext, ProcessResult } from './context.js';
import { processDecision } from './decide.js';
import { writeReceipt } from './outputs.js';
import { removeIfThere } from './reject.js';
import type { Waiting } from './scan.js';
import type { Receipt } from './outputs.js';
import { startFlagWorkflow } from './starter.js';
import { handlerWorkflowId } from '../contract/ids.js';

export type { ProcessContext, ProcessResult } from './context.js';

/** Identifies one file instance: a resubmission under the same name is a different file. */
export function fileIdentity(stats: Pick<Stats, 'dev' | 'ino' | 'mtimeMs' | 'size'>): string {
  return `${String(stats.dev)}:${String(stats.ino)}:${String(stats.mtimeMs)}:${String(stats.size)}`;
}

function receiptOf(flag: Flag, workerId: string, file: string, sha256: string, runId: string | null): Receipt {
  return {
    task_id: flag.task_id,
    worker_id: workerId,
    workflow_id: handlerWorkflowId(workerId, flag.task_id),
    run_id: runId,
    handler: flag.handler,
    label: flag.label ?? null,
    sha256,
    file,
    at: new Date().toISOString(),
  };
}

/**
 * One flag up to Temporal's answer (or the ledger's). What is left to do, `finish` (ledger, receipt, removal
 * from the inbox, in that order), is returned for the caller to run: the worker's next flag may start
 * meanwhile. Nothing leaves the inbox before Temporal (or the ledger) has answered.
 */
export async function processFlag(ctx: ProcessContext, waiting: Waiting): Promise<ProcessResult> {
  const { name } = waiting;
  if (typeof waiting.path !== 'string') {
    // A name no string can spell names no worker: only the host whose id ends it gets here, and rejects it.
    const problems = [{ path: '(name)', message: `is not valid UTF-8 (bytes ${waiting.nameHex ?? '?'}); rename it` }];
    return await reject(ctx, waiting, { problems, workerId: waiting.workerId });
  }
  const filePath = waiting.path;
  const decision = decisionReadingOf(name);
  if (decision !== undefined) return await processDecision(ctx, waiting, filePath);
  const read = await readFlagFile(filePath, ctx.parseOptions);
  if (!read.ok) return await handleUnread(ctx, waiting, read);
  const { flag, workerId, sha256 } = read;
  const ledger = ctx.ledgers.get(workerId);
  if (ledger === undefined) throw new Error(`no ledger for served worker ${workerId}`);
  // The lstat the bytes were read after, not the listing's (older, and maybe kept from an earlier pass).
  const identity = fileIdentity(read.stats);
  const known = ledger.get(flag.task_id);
  if (known !== undefined) {
    // The very file we accepted (a crash between ledger and delete) is finished, anything else is a duplicate.
    const receipt = receiptOf(flag, workerId, name, sha256, known.run_id);
    const ours = known.sha256 === sha256 && known.file === name && known.file_id === identity;
    return {
      kind: 'done',
      temporal: false,
      finish: ours
        ? () => finishAccepted(ctx, filePath, receipt)
        : () => finishDuplicate(ctx, filePath, { ...receipt, duplicate_of: 'ledger' }),
    };
  }
  let outcome;
  try {
    outcome = await startFlagWorkflow(ctx.client, {
      flag,
      workerId,
      taskQueue: ctx.taskQueueOf(workerId),
      file: name,
      sha256,
    });
  } catch (error) {
    return { kind: 'temporal', error };
  }
  const receipt = receiptOf(flag, workerId, name, sha256, outcome.runId);
  if (outcome.kind === 'exists' && !outcome.ours)
    return {
      kind: 'done',
      temporal: true,
      finish: () => finishDuplicate(ctx, filePath, { ...receipt, duplicate_of: 'temporal' }),
    };
  const entry: LedgerEntry = {
    task_id: flag.task_id,
    workflow_id: receipt.workflow_id,
    run_id: outcome.runId ?? '',
    sha256,
    file: name,
    file_id: identity,
    at: receipt.at,
  };
  const finish = async (): Promise<void> => {
    await ledger.append(entry);
    await finishAccepted(ctx, filePath, receipt);
  };
  return { kind: 'done', temporal: true, finish };
}

async function finishAccepted(ctx: ProcessContext, filePath: string, receipt: Receipt): Promise<void> {
  await writeReceipt(ctx.outbox, 'accepted', receipt);
  await removeIfThere(filePath);
  await ctx.event({ type: 'flag_accepted', ...receipt });
  ctx.onAccepted?.(receipt);
  ctx.logger.info(
    {
      task_id: receipt.task_id,
      workflow_id: receipt.workflow_id,
      run_id: receipt.run_id,
      handler: receipt.handler,
      label: receipt.label,
    },
    'flag accepted; workflow started',
  );
}

async function finishDuplicate(ctx: ProcessContext, filePath: string, receipt: Receipt): Promise<void> {
  await writeReceipt(ctx.outbox, 'duplicate', receipt);
  await removeIfThere(filePath);
  await ctx.event({ type: 'flag_duplicate', ...receipt });
  ctx.logger.warn(
    {
      task_id: receipt.task_id,
      workflow_id: receipt.workflow_id,
      run_id: receipt.run_id,
      duplicate_of: receipt.duplicate_of,
    },
    'flag is a duplicate of an earlier task; not run again',
  );
}

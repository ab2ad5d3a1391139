import type { Stats } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { parseFlagName, readFlagFile } from '../flags/index.js';
import type { Flag, FlagParseOptions } from '../flags/index.js';
import type { Logger } from '../observability/logger.js';
import type { Ledger, LedgerEntry } from './ledger.js';
import { appendEvent } from '../observability/events.js';
import { rejectFlag, writeReceipt } from './outputs.js';
import type { Receipt } from './outputs.js';
import { startFlagWorkflow, workflowIdOf } from './starter.js';

export interface ProcessContext {
  client: Client;
  inbox: string;
  outbox: string;
  parseOptions: FlagParseOptions;
  ledgers: ReadonlyMap<string, Ledger>;
  taskQueueOf: (workerId: string) => string;
  logger: Logger;
  /** The NDJSON event stream the ingest reports its flags on. */
  events: string;
}

/**
 * done: the flag left the inbox (accepted, duplicate or rejected). later: look again soon (still being
 * written, vanished, unreadable for now). temporal: the start failed; the flag stays and the pass stops.
 */
export type ProcessResult = { kind: 'done'; temporal: boolean } | { kind: 'later'; reason: string } | { kind: 'temporal'; error: unknown };

/** Identifies one file instance: a resubmission under the same name is a different file. */
export function fileIdentity(stats: Pick<Stats, 'dev' | 'ino' | 'mtimeMs' | 'size'>): string {
  return `${String(stats.dev)}:${String(stats.ino)}:${String(stats.mtimeMs)}:${String(stats.size)}`;
}

function receiptOf(flag: Flag, workerId: string, file: string, sha256: string, runId: string | null): Receipt {
  return {
    task_id: flag.task_id,
    worker_id: workerId,
    workflow_id: workflowIdOf(workerId, flag.task_id),
    run_id: runId,
    handler: flag.handler,
    label: flag.label ?? null,
    sha256,
    file,
    at: new Date().toISOString(),
  };
}

/** One flag, start to finish. Nothing leaves the inbox before Temporal (or the ledger) has answered. */
export async function processFlag(ctx: ProcessContext, name: string, stats: Stats): Promise<ProcessResult> {
  const filePath = path.join(ctx.inbox, name);
  const read = await readFlagFile(filePath, ctx.parseOptions);
  if (!read.ok && read.transient) return { kind: 'later', reason: read.problems.map((p) => p.message).join('; ') };
  if (!read.ok) {
    const named = parseFlagName(name);
    const rejected = await rejectFlag(filePath, ctx.outbox, { problems: read.problems, sha256: read.sha256, workerId: named.ok ? named.workerId : undefined });
    ctx.logger.warn({ file: name, rejected_as: path.basename(rejected.file), problems: read.problems }, 'flag rejected; nothing started');
    await appendEvent(ctx.events, { type: 'flag_rejected', worker_id: named.ok ? named.workerId : null, file: name, rejected_as: path.basename(rejected.file), problems: read.problems });
    return { kind: 'done', temporal: false };
  }
  const { flag, workerId, sha256 } = read;
  const ledger = ctx.ledgers.get(workerId);
  if (ledger === undefined) throw new Error(`no ledger for served worker ${workerId}`);
  const identity = fileIdentity(stats);
  const known = ledger.get(flag.task_id);
  if (known !== undefined) {
    // The very file we accepted (a crash between ledger and delete) is finished, anything else is a duplicate.
    if (known.sha256 === sha256 && known.file === name && known.file_id === identity) {
      await finishAccepted(ctx, filePath, receiptOf(flag, workerId, name, sha256, known.run_id));
    } else {
      await finishDuplicate(ctx, filePath, { ...receiptOf(flag, workerId, name, sha256, known.run_id), duplicate_of: 'ledger' });
    }
    return { kind: 'done', temporal: false };
  }
  let outcome;
  try {
    outcome = await startFlagWorkflow(ctx.client, { flag, workerId, taskQueue: ctx.taskQueueOf(workerId), file: name, sha256 });
  } catch (error) {
    return { kind: 'temporal', error };
  }
  const receipt = receiptOf(flag, workerId, name, sha256, outcome.runId);
  if (outcome.kind === 'exists' && !outcome.ours) {
    await finishDuplicate(ctx, filePath, { ...receipt, duplicate_of: 'temporal' });
    return { kind: 'done', temporal: true };
  }
  const entry: LedgerEntry = { task_id: flag.task_id, workflow_id: receipt.workflow_id, run_id: outcome.runId ?? '', sha256, file: name, file_id: identity, at: receipt.at };
  await ledger.append(entry);
  await finishAccepted(ctx, filePath, receipt);
  return { kind: 'done', temporal: true };
}

async function removeFlag(filePath: string): Promise<void> {
  try {
    await unlink(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

async function finishAccepted(ctx: ProcessContext, filePath: string, receipt: Receipt): Promise<void> {
  await writeReceipt(ctx.outbox, 'accepted', receipt);
  await removeFlag(filePath);
  await appendEvent(ctx.events, { type: 'flag_accepted', ...receipt });
  ctx.logger.info({ task_id: receipt.task_id, workflow_id: receipt.workflow_id, run_id: receipt.run_id, handler: receipt.handler, label: receipt.label }, 'flag accepted; workflow started');
}

async function finishDuplicate(ctx: ProcessContext, filePath: string, receipt: Receipt): Promise<void> {
  await writeReceipt(ctx.outbox, 'duplicate', receipt);
  await removeFlag(filePath);
  await appendEvent(ctx.events, { type: 'flag_duplicate', ...receipt });
  ctx.logger.warn({ task_id: receipt.task_id, workflow_id: receipt.workflow_id, run_id: receipt.run_id, duplicate_of: receipt.duplicate_of }, 'flag is a duplicate of an earlier task; not run again');
}

/**
 * What every kind of inbox entry is handled with (process.ts: handler flags, decide.ts: approval decisions),
 * and the rejection both share.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { FlagParseOptions, FlagProblem, FlagReadFailure } from '../flags/index.js';
import type { SupervisorEvent } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import type { Ledger } from './ledger.js';
import type { Receipt } from './outputs.js';
import { rejectFlag } from './reject.js';
import type { Waiting } from './scan.js';

export interface ProcessContext {
  client: Client;
  inbox: string;
  outbox: string;
  parseOptions: FlagParseOptions;
  ledgers: ReadonlyMap<string, Ledger>;
  taskQueueOf: (workerId: string) => string;
  logger: Logger;
  /** Appends to the NDJSON event stream the ingest reports its flags on. */
  event: (event: SupervisorEvent) => Promise<void>;
  onAccepted?: ((receipt: Receipt) => void) | undefined;
}

/**
 * done: the flag left the inbox (accepted, duplicate or rejected), or does once `finish` (when there is
 * one) has run. later: look again soon (still being written, vanished, unreadable for now). leave: it stays
 * and is not looked at again while unchanged (another worker's flag, or a bad entry that could not be moved
 * and was reported). temporal: the start failed; the flag stays and the pass stops.
 */
export type ProcessResult =
  | { kind: 'done'; temporal: boolean; finish?: () => Promise<void> }
  | { kind: 'later'; reason: string }
  | { kind: 'leave'; reason: 'foreign' | 'unmovable' }
  | { kind: 'temporal'; error: unknown };

/** Moves a bad entry to rejected/ with its problems, says so in the log and the events. */
export async function reject(
  ctx: ProcessContext,
  waiting: Waiting,
  details: { problems: FlagProblem[]; sha256?: string; workerId: string },
): Promise<ProcessResult> {
  const { name } = waiting;
  const rejected = await rejectFlag(waiting, ctx.outbox, details);
  const as = rejected.file === undefined ? null : path.basename(rejected.file);
  const meta = {
    file: name,
    ...(waiting.nameHex === undefined ? {} : { file_name_hex: waiting.nameHex }),
    rejected_as: as,
    error_file: rejected.errorFile,
    problems: details.problems,
  };
  if (as === null)
    ctx.logger.warn(
      meta,
      'bad flag cannot be moved to rejected/ (not a file, outbox on another file system); left in the inbox, reported once; nothing started',
    );
  else ctx.logger.warn(meta, 'flag rejected; nothing started');
  await ctx.event({ type: 'flag_rejected', worker_id: details.workerId, ...meta });
  return as === null ? { kind: 'leave', reason: 'unmovable' } : { kind: 'done', temporal: false };
}

/** Still being written: later; another host's: leave it; otherwise reject it with its problems. */
export async function handleUnread(
  ctx: ProcessContext,
  waiting: Waiting,
  read: FlagReadFailure,
): Promise<ProcessResult> {
  if (read.transient) return { kind: 'later', reason: read.problems.map((p) => p.message).join('; ') };
  if (read.foreign) return { kind: 'leave', reason: 'foreign' };
  return reject(ctx, waiting, {
    problems: read.problems,
    ...(read.sha256 === undefined ? {} : { sha256: read.sha256 }),
    workerId: read.workerId ?? waiting.workerId,
  });
}

import path from 'node:path';
import { writeJsonAtomic } from '../activities/atomic.js';

/** What `Worker_Outbox/<workerId>/<task_id>.accepted.json` and `.duplicate.json` hold. */
export interface Receipt {
  task_id: string;
  worker_id: string;
  workflow_id: string;
  /** The run this flag started (accepted) or the run that already had the id (duplicate), when known. */
  run_id: string | null;
  handler: string;
  label: string | null;
  sha256: string;
  file: string;
  /** duplicate only: how it was recognised. */
  duplicate_of?: 'temporal' | 'ledger';
  at: string;
}

/**
 * A task id is unique per worker only, so receipts live in a folder per worker, like the workflow id
 * `<workerId>/<task_id>`: two hosts on one shared outbox never overwrite each other's.
 */
export function receiptPath(outbox: string, workerId: string, taskId: string, kind: 'accepted' | 'duplicate'): string {
  return path.join(outbox, workerId, `${taskId}.${kind}.json`);
}

export async function writeReceipt(outbox: string, kind: 'accepted' | 'duplicate', receipt: Receipt): Promise<string> {
  const file = receiptPath(outbox, receipt.worker_id, receipt.task_id, kind);
  await writeJsonAtomic(file, receipt);
  return file;
}

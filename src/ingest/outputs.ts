import { fsyncFolder, writeJsonAtomic } from '../lib/atomic.js';
import { receiptPath } from '../nas/paths.js';
import { groupSyncs } from './group-sync.js';

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

/** Receipts written at once into one worker's folder share the folder's fsync. */
const syncFolder = groupSyncs(fsyncFolder);

export async function writeReceipt(outbox: string, kind: 'accepted' | 'duplicate', receipt: Receipt): Promise<string> {
  const file = receiptPath(outbox, receipt.worker_id, receipt.task_id, kind);
  await writeJsonAtomic(file, receipt, syncFolder);
  return file;
}

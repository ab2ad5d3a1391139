import { link, lstat, mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from '../activities/atomic.js';
import type { FlagProblem } from '../flags/index.js';

/** What `Worker_Outbox/<task_id>.accepted.json` and `.duplicate.json` hold. */
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

export function receiptPath(outbox: string, taskId: string, kind: 'accepted' | 'duplicate'): string {
  return path.join(outbox, `${taskId}.${kind}.json`);
}

export async function writeReceipt(outbox: string, kind: 'accepted' | 'duplicate', receipt: Receipt): Promise<string> {
  const file = receiptPath(outbox, receipt.task_id, kind);
  await writeJsonAtomic(file, receipt);
  return file;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** `name`, then `stem~2.flag`, `stem~3.flag`…: an earlier rejection of the same name is never overwritten. */
function candidate(name: string, n: number): string {
  if (n === 1) return name;
  const ext = path.extname(name);
  return `${name.slice(0, name.length - ext.length)}~${String(n)}${ext}`;
}

// Shares without hard links answer one of these; the move is then a rename after an existence check.
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS']);

/**
 * Moves a bad flag (its original bytes, untouched; a symlink as the link itself) to `rejected/` under a
 * free name and writes `<that name>.error.json` next to it. link() claims the name atomically, so two
 * rejections never overwrite each other; the error file is written before the flag leaves the inbox, so a
 * crash leaves the flag to be rejected again rather than a rejection without its reasons.
 */
export async function rejectFlag(
  filePath: string,
  outbox: string,
  details: { problems: FlagProblem[]; sha256?: string; workerId?: string },
): Promise<{ file: string; errorFile: string }> {
  const folder = path.join(outbox, 'rejected');
  await mkdir(folder, { recursive: true });
  const name = path.basename(filePath);
  for (let n = 1; ; n += 1) {
    const target = path.join(folder, candidate(name, n));
    const errorFile = `${target}.error.json`;
    if (await exists(errorFile)) continue;
    let linked = true;
    try {
      await link(filePath, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') continue;
      if (!NO_HARD_LINKS.has(code)) throw error;
      if (await exists(target)) continue;
      linked = false;
    }
    await writeJsonAtomic(errorFile, {
      file: name,
      rejected_as: path.basename(target),
      worker_id: details.workerId ?? null,
      sha256: details.sha256 ?? null,
      problems: details.problems,
      at: new Date().toISOString(),
    });
    if (linked) await unlink(filePath);
    else await rename(filePath, target);
    return { file: target, errorFile };
  }
}

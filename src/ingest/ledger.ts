import { mkdir, open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ledgerPath } from '../nas/paths.js';
import { groupWrite } from './group-sync.js';

/** One accepted flag, as remembered by the ledger. */
export interface LedgerEntry {
  task_id: string;
  workflow_id: string;
  run_id: string;
  sha256: string;
  file: string;
  /** dev:ino:mtime:size of the accepted file, to tell it apart from a resubmission with the same bytes. */
  file_id: string;
  at: string;
}

/**
 * The task_ids this ingest accepted for one worker, one JSON line each. Temporal forgets a closed run after
 * the namespace's retention; this file does not, so a task_id stays a duplicate forever (SPEC). Appended and
 * fsynced before the flag is deleted: a flag that is gone is always in the ledger. Appends that overlap (a
 * worker's flags are finished side by side) share one write and its fsync.
 */
export class Ledger {
  private readonly commit: (lines: string) => Promise<void>;

  private constructor(
    private readonly file: string,
    private readonly entries: Map<string, LedgerEntry>,
    private handle: FileHandle | undefined,
  ) {
    this.commit = groupWrite(async (lines) => {
      if (this.handle === undefined) throw new Error(`ledger ${this.file} was closed before its append was written`);
      await this.handle.writeFile(lines, 'utf8');
      await this.handle.datasync();
    });
  }

  static async open(stateDir: string, workerId: string): Promise<Ledger> {
    const file = ledgerPath(stateDir, workerId);
    await mkdir(stateDir, { recursive: true });
    const entries = new Map<string, LedgerEntry>();
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      // A crash mid-append leaves a torn last line; its flag was not deleted, so it is simply seen again.
      const entry = parseLine(line);
      if (entry !== undefined) entries.set(entry.task_id, entry);
    }
    return new Ledger(file, entries, await open(file, 'a'));
  }

  get(taskId: string): LedgerEntry | undefined {
    return this.entries.get(taskId);
  }

  async append(entry: LedgerEntry): Promise<void> {
    if (this.handle === undefined) throw new Error(`ledger ${this.file} is closed`);
    // A leading newline ends a torn line a crash may have left, so this entry always parses.
    await this.commit(`\n${JSON.stringify(entry)}\n`);
    this.entries.set(entry.task_id, entry);
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

function parseLine(line: string): LedgerEntry | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value = JSON.parse(line) as Partial<LedgerEntry>;
    return typeof value.task_id === 'string' && typeof value.sha256 === 'string' ? (value as LedgerEntry) : undefined;
  } catch {
    return undefined;
  }
}

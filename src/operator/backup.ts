/**
 * The work of `supervisor backup` and `restore`: the engine's own persist code. Every failure is a
 * `BackupError` whose message is for the operator as is.
 */
import path from 'node:path';
import { backupDatabase, restoreDatabase } from '../devserver/index.js';
import type { DatabaseSummary } from '../devserver/index.js';

function describe(summary: DatabaseSummary): string {
  return `${summary.records} records, ${summary.bytes} bytes: ${summary.runs} runs, ${summary.schedules} schedules, namespaces ${summary.namespaces.join(', ') || '-'}`;
}

export class BackupError extends Error {
  override name = 'BackupError';
}

function failure(what: string, error: unknown): BackupError {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return new BackupError(`${what}: ${err.path ?? 'file'} does not exist`);
  return new BackupError(`${what}: ${err instanceof Error ? err.message : String(error)}`);
}

export async function runBackup(dbFile: string, outFile: string): Promise<string> {
  try {
    const summary = await backupDatabase(dbFile, path.resolve(outFile));
    return `backup of ${dbFile} written to ${summary.file}\nverified by replay: ${describe(summary)}\n`;
  } catch (error) {
    throw failure(`cannot back up ${dbFile}`, error);
  }
}

export async function runRestore(backupFile: string, dbFile: string): Promise<string> {
  try {
    const summary = restoreDatabase(path.resolve(backupFile), dbFile);
    const saved =
      summary.saved === null ? 'there was no data file to save' : `the replaced file is saved as ${summary.saved}`;
    return `restored ${backupFile} to ${dbFile} (${describe(summary)})\n${saved}\n`;
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (/is in use by process/.test(message))
      throw new BackupError(`refusing to restore: ${message}; stop that engine (supervisor start or devserver) first`);
    throw failure(`cannot restore ${backupFile}`, error);
  }
}

/**
 * Report file names under `05_LOGS/diagnostics/`: `<kind>_<workerId>_<timestamp>[_<taskId>][_<label>].json`.
 * The task id makes two reports of the same second distinct (each task has its own name); the
 * timestamp first keeps a listing sorted by time.
 */

/** `20260205T143015Z`: sortable, and safe in file names on every OS and on SMB shares. */
export function fileTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** Labels are letters, digits, spaces, hyphens, underscores; spaces become underscores in file names. */
export function labelSuffix(label: string | null | undefined): string {
  const clean = (label ?? '')
    .trim()
    .replace(/\s+/g, '_')
    .replace(/[^A-Za-z0-9_-]/g, '')
    .slice(0, 100);
  return clean === '' ? '' : `_${clean}`;
}

/** Task ids are already checked at every door; this only keeps a path separator or a leading dot out of a name. */
export function taskSuffix(taskId: string | null | undefined): string {
  const clean = (taskId ?? '')
    .replace(/[^A-Za-z0-9_.-]/g, '')
    .replace(/^\.+/, '')
    .slice(0, 64);
  return clean === '' ? '' : `_${clean}`;
}

export type ReportKind = 'diagnostics' | 'db_verification';

export function reportFileName(
  kind: ReportKind,
  workerId: string,
  at: Date,
  input: { taskId?: string | null; label?: string | null },
): string {
  return `${kind}_${workerId}_${fileTimestamp(at)}${taskSuffix(input.taskId)}${labelSuffix(input.label)}.json`;
}

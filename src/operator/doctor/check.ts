/** One row of `supervisor doctor`: what was checked, how it went, and what to do about it. */
export type CheckStatus = 'pass' | 'advisory' | 'fail';

export interface CheckRow {
  /** The group (config, paths, temporal, database, repo, commands, host). */
  group: string;
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it; absent on a pass. */
  fix?: string;
}

export const pass = (group: string, check: string, detail: string): CheckRow => ({
  group,
  check,
  status: 'pass',
  detail,
});

export const advise = (group: string, check: string, detail: string, fix: string): CheckRow => ({
  group,
  check,
  status: 'advisory',
  detail,
  fix,
});

export const fail = (group: string, check: string, detail: string, fix: string): CheckRow => ({
  group,
  check,
  status: 'fail',
  detail,
  fix,
});

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Handler parameter ranges, shared by the flag schema (the edge) and the activities (their own door). */

/** rollback_code reverts 1 to 10 commits. */
export const COMMITS_BACK_MIN = 1;
export const COMMITS_BACK_MAX = 10;

export function isCommitsBack(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= COMMITS_BACK_MIN && (value as number) <= COMMITS_BACK_MAX;
}

/**
 * The handlers a flag may name, and the order in which waiting flags are started (SPEC "Flag files").
 * Plain constants, no I/O: workflows and the CLI may import them too.
 */

export const HANDLERS = [
  'update_code',
  'update_code_deps',
  'rollback_code',
  'pause_watcher',
  'resume_watcher',
  'restart_watcher',
  'diagnostics',
  'verify_db',
] as const;
export type Handler = (typeof HANDLERS)[number];

/** Priority tiers, most urgent first. `emergency` is reserved: no handler belongs to it yet. */
export const PRIORITY_TIERS = ['emergency', 'code', 'operational', 'diagnostics'] as const;
export type PriorityTier = (typeof PRIORITY_TIERS)[number];

export const TIER_OF: Readonly<Record<Handler, PriorityTier>> = {
  update_code: 'code',
  update_code_deps: 'code',
  rollback_code: 'code',
  pause_watcher: 'operational',
  resume_watcher: 'operational',
  restart_watcher: 'operational',
  diagnostics: 'diagnostics',
  verify_db: 'diagnostics',
};

export function isHandler(value: unknown): value is Handler {
  return typeof value === 'string' && (HANDLERS as readonly string[]).includes(value);
}

/** Lower is more urgent. A name without a known handler ranks last: it is only going to be rejected. */
export function priorityOf(handler: Handler | undefined): number {
  return handler === undefined ? PRIORITY_TIERS.length : PRIORITY_TIERS.indexOf(TIER_OF[handler]);
}

/** What the ingest knows about a waiting flag before reading it: its name, mtime and the handler in the name. */
export interface WaitingFlag {
  name: string;
  mtimeMs: number;
  handler?: Handler;
}

/** Orders waiting flags: priority tier, then older file first, then name (so the order is total and stable). */
export function compareWaitingFlags(a: WaitingFlag, b: WaitingFlag): number {
  const byPriority = priorityOf(a.handler) - priorityOf(b.handler);
  if (byPriority !== 0) return byPriority;
  if (a.mtimeMs !== b.mtimeMs) return a.mtimeMs < b.mtimeMs ? -1 : 1;
  // Code-unit order, not localeCompare: the same on every host whatever its locale.
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

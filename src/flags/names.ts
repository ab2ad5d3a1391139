import { WorkerId } from '../config/schema.js';
import { HANDLERS } from './handlers.js';
import type { Handler } from './handlers.js';

const PREFIX = 'supervisor_';
const SUFFIX = '.flag';

/**
 * Names the ingest never looks at: writers' temporary names (dot-prefixed, `*.tmp`, `*.partial`) and
 * anything that is not a `.flag`. A `.flag` with a bad name is NOT ignored: it is rejected, so the
 * operator learns about the typo instead of waiting forever.
 */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.tmp') || name.endsWith('.partial') || !name.endsWith(SUFFIX);
}

export function flagFileName(handler: Handler, workerId: string): string {
  return `${PREFIX}${handler}_${workerId}${SUFFIX}`;
}

// Longest first: `update_code_deps` must win over `update_code` for `supervisor_update_code_deps_W1.flag`.
const BY_LENGTH = [...HANDLERS].sort((a, b) => b.length - a.length);

export type FlagName = { ok: true; handler: Handler; workerId: string } | { ok: false; message: string };

/**
 * Splits `supervisor_<handler>_<workerId>.flag`. Handlers contain underscores, so the known handler names
 * are matched rather than splitting on `_`. A worker id starting with `deps_` is ambiguous with
 * update_code/update_code_deps; the longest handler wins here and the parser accepts the other reading
 * only when the body names that handler.
 */
export function parseFlagName(name: string): FlagName {
  const shape = `expected supervisor_<handler>_<workerId>.flag, got "${name}"`;
  if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) return { ok: false, message: shape };
  const middle = name.slice(PREFIX.length, -SUFFIX.length);
  const handler = BY_LENGTH.find((h) => middle.startsWith(`${h}_`));
  if (handler === undefined) {
    return { ok: false, message: `${shape}: no known handler after "${PREFIX}" (known: ${HANDLERS.join(', ')})` };
  }
  const workerId = middle.slice(handler.length + 1);
  const valid = WorkerId.safeParse(workerId);
  if (!valid.success) return { ok: false, message: `worker id "${workerId}" in the name ${valid.error.issues[0]?.message ?? 'is invalid'}` };
  return { ok: true, handler, workerId };
}

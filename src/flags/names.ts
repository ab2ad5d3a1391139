import { WorkerId } from '../config/schema.js';
import { APPROVAL_DECISIONS } from '../contract/approvals.js';
import type { ApprovalDecisionKind } from '../contract/approvals.js';
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

/** `supervisor_approve_<workerId>.flag` / `supervisor_reject_<workerId>.flag`: a decision on a pending approval. */
export function decisionFileName(kind: ApprovalDecisionKind, workerId: string): string {
  return `${PREFIX}${kind}_${workerId}${SUFFIX}`;
}

/** A decision flag's name read: which decision, for which worker. */
export interface DecisionReading {
  kind: ApprovalDecisionKind;
  workerId: string;
}

/** The decision word a name starts with (`supervisor_approve_`), whatever follows; no handler starts so. */
function decisionKindOf(name: string): ApprovalDecisionKind | undefined {
  if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) return undefined;
  const middle = name.slice(PREFIX.length, -SUFFIX.length);
  return APPROVAL_DECISIONS.find((kind) => middle.startsWith(`${kind}_`));
}

/** `supervisor_<approve|reject>_<workerId>.flag` with a valid worker id, else undefined. */
export function decisionReadingOf(name: string): DecisionReading | undefined {
  const kind = decisionKindOf(name);
  if (kind === undefined) return undefined;
  const workerId = name.slice(PREFIX.length + kind.length + 1, -SUFFIX.length);
  return WorkerId.safeParse(workerId).success ? { kind, workerId } : undefined;
}

// Longest first: `update_code_deps` must win over `update_code` for `supervisor_update_code_deps_W1.flag`.
const BY_LENGTH = [...HANDLERS].sort((a, b) => b.length - a.length);

export type FlagName = { ok: true; handler: Handler; workerId: string } | { ok: false; message: string };

/** One way to read a name as `supervisor_<handler>_<workerId>.flag`. */
export interface NameReading {
  handler: Handler;
  workerId: string;
}

/**
 * Every valid reading of a name, longest handler first. Handlers contain underscores, so the known names are
 * matched rather than splitting on `_`; `supervisor_update_code_deps_W1.flag` reads both as update_code_deps
 * for W1 and as update_code for `deps_W1`.
 */
export function readingsOf(name: string): NameReading[] {
  if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) return [];
  const middle = name.slice(PREFIX.length, -SUFFIX.length);
  return BY_LENGTH.filter((h) => middle.startsWith(`${h}_`))
    .map((handler) => ({ handler, workerId: middle.slice(handler.length + 1) }))
    .filter((reading) => WorkerId.safeParse(reading.workerId).success);
}

/** Splits a name into its first reading (see readingsOf), or says why it has none. */
export function parseFlagName(name: string): FlagName {
  const reading = readingsOf(name)[0];
  if (reading !== undefined) return { ok: true, ...reading };
  const shape = `expected supervisor_<handler>_<workerId>.flag, got "${name}"`;
  if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) return { ok: false, message: shape };
  const middle = name.slice(PREFIX.length, -SUFFIX.length);
  const kind = decisionKindOf(name);
  if (kind !== undefined) {
    const workerId = middle.slice(kind.length + 1);
    const valid = WorkerId.safeParse(workerId);
    return {
      ok: false,
      message: valid.success
        ? `is an approval decision (supervisor_${kind}_<workerId>.flag), not a handler flag`
        : `worker id "${workerId}" in the name ${valid.error.issues[0]?.message ?? 'is invalid'}`,
    };
  }
  const handler = BY_LENGTH.find((h) => middle.startsWith(`${h}_`));
  if (handler === undefined) {
    return { ok: false, message: `${shape}: no known handler after "${PREFIX}" (known: ${HANDLERS.join(', ')})` };
  }
  const workerId = middle.slice(handler.length + 1);
  const valid = WorkerId.safeParse(workerId);
  return {
    ok: false,
    message: `worker id "${workerId}" in the name ${valid.error?.issues[0]?.message ?? 'is invalid'}`,
  };
}

/**
 * The reading a flag's body selects, the same on every host that reads the same bytes: another reading
 * than the first only when the body names that reading's handler; otherwise (an unreadable body too) the
 * first. So each ambiguous flag has exactly one owner on a shared inbox.
 */
export function readingFor(name: string, body: unknown): NameReading | undefined {
  const readings = readingsOf(name);
  const handler = typeof body === 'object' && body !== null ? (body as { handler?: unknown }).handler : undefined;
  return readings.find((reading) => reading.handler === handler) ?? readings[0];
}

/**
 * Before reading: could this name be one of `served`'s flags? A decision flag is its worker's. A name with a valid reading is a candidate
 * when any reading's worker is served (the body then decides, see readingFor). A malformed name belongs to
 * the served worker whose id ends it (`supervisor_frobnicate_W1.flag` → W1), so the typo is reported by
 * that host; one that no served id ends is another host's business (undefined).
 */
export function servedWorkerOf(name: string, served: readonly string[]): string | undefined {
  const decision = decisionReadingOf(name);
  if (decision !== undefined) return served.includes(decision.workerId) ? decision.workerId : undefined;
  const readings = readingsOf(name);
  if (readings.length > 0) return readings.find((reading) => served.includes(reading.workerId))?.workerId;
  return [...served].sort((a, b) => b.length - a.length).find((id) => name.endsWith(`_${id}${SUFFIX}`));
}

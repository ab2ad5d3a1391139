/**
 * Approval decision flags (issue 14), for operators who only reach the NAS: `supervisor_approve_<workerId>.flag`
 * and `supervisor_reject_<workerId>.flag`, body `{"task_id", "requested_by", "comment"?, "signature"?}`.
 * `requested_by` is the decider. Size limit, JSON safety, symlink refusal and signatures as for every flag
 * (parse.ts, signature.ts).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import type { ApprovalDecisionKind } from '../contract/approvals.js';
import { decisionReadingOf } from './names.js';
import { decodeFlagJson, readFlagBytes } from './parse.js';
import type { FlagParseOptions, FlagReadFailure } from './parse.js';
import { RequestedBy, Signature, TaskId } from './schema.js';
import type { FlagProblem } from './schema.js';
import { checkSignature } from './signature.js';
import type { SignatureState } from './signature.js';

/** The longest decision comment, for the flag and the CLI's `--comment` alike. */
export const MAX_DECISION_COMMENT = 500;

/** Who decides: what the workflow's validator accepts (1-100 characters, no control characters). */
export const DeciderName = RequestedBy;

export const DecisionComment = z
  .string({ error: 'must be a string or null' })
  .max(MAX_DECISION_COMMENT, {
    error: (issue) =>
      `must be at most ${String(MAX_DECISION_COMMENT)} characters, got ${String((issue.input as string).length)}`,
  })
  .nullable()
  .optional();

/** A decision flag's body; checkSignature checks the signature's value. */
export const DecisionFlag = z.strictObject({
  task_id: TaskId,
  requested_by: DeciderName,
  comment: DecisionComment,
  signature: Signature.optional(),
});
export type DecisionFlag = z.infer<typeof DecisionFlag>;

export type DecisionParseResult =
  | {
      ok: true;
      decision: DecisionFlag;
      kind: ApprovalDecisionKind;
      workerId: string;
      sha256: string;
      bytes: Buffer;
      signature: SignatureState;
    }
  /** As for a handler flag: `transient` look again later, `foreign` another host's, `workerId` whose it is. */
  | FlagReadFailure;

function problemsOf(error: z.ZodError): FlagProblem[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({
        path: [...at, key].join('.'),
        message: 'unknown key (a decision takes task_id, requested_by, comment, signature)',
      }));
    if (at.length === 0 && issue.code === 'invalid_type') return [{ path: '(root)', message: 'must be a JSON object' }];
    return [{ path: at.join('.') || '(root)', message: issue.message }];
  });
}

/** Checks a decision flag's bytes; `fileName` is its base name in the inbox. Lists every problem; never throws. */
export function parseDecisionBytes(bytes: Buffer, fileName: string, options: FlagParseOptions): DecisionParseResult {
  const name = path.basename(fileName);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const reading = decisionReadingOf(name);
  if (reading === undefined)
    return {
      ok: false,
      problems: [{ path: '(name)', message: `expected supervisor_<approve|reject>_<workerId>.flag, got "${name}"` }],
      bytes,
      sha256,
    };
  const owner = {
    workerId: reading.workerId,
    ...(options.workerIds.includes(reading.workerId) ? {} : { foreign: true as const }),
  };
  const fail = (problems: FlagProblem[]): DecisionParseResult => ({ ok: false, problems, bytes, sha256, ...owner });
  if (owner.foreign === true)
    return fail([{ path: '(name)', message: `is for worker ${reading.workerId}, which this ingest does not serve` }]);
  const json = decodeFlagJson(bytes, options.maxSize);
  if (!json.ok) return fail(json.problems);
  const schema = DecisionFlag.safeParse(json.value);
  const signature = checkSignature(json.value, options);
  const problems = [...json.problems, ...(schema.success ? [] : problemsOf(schema.error)), ...signature.problems];
  if (!schema.success || problems.length > 0) return fail(problems);
  return { ok: true, decision: schema.data, ...reading, sha256, bytes, signature: signature.state };
}

/** Reads (readFlagBytes: no links, size first) and checks a decision flag file. Never throws. */
export async function readDecisionFile(filePath: string, options: FlagParseOptions): Promise<DecisionParseResult> {
  const read = await readFlagBytes(filePath, options.maxSize);
  if (read.ok) return parseDecisionBytes(read.bytes, filePath, options);
  if (read.transient) return { ok: false, problems: [read.problem], transient: true };
  const reading = decisionReadingOf(path.basename(filePath));
  const foreign = reading !== undefined && !options.workerIds.includes(reading.workerId);
  return {
    ok: false,
    problems: [read.problem],
    ...(reading === undefined ? {} : { workerId: reading.workerId }),
    ...(foreign ? { foreign: true as const } : {}),
  };
}

import { z } from 'zod';
import { TASK_ID_PATTERN } from '../contract/ids.js';
import { COMMITS_BACK_MAX, COMMITS_BACK_MIN } from '../contract/params.js';
import { HANDLERS } from './handlers.js';
import type { Handler } from './handlers.js';

/** One reason a flag is refused; `path` is a JSON path (`params.commits_back`) or `(file)` / `(name)`. */
export interface FlagProblem {
  path: string;
  message: string;
}

const required = (otherwise: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : otherwise;

export const TaskId = z
  .string({ error: required('must be a string') })
  .regex(TASK_ID_PATTERN, 'must be 1-64 characters of letters, digits, "_", "-" or "."')
  // It names files (`<workerId>/<task_id>.result.json`) and is half a workflow id: "." and ".." name directories.
  .refine((id) => id !== '.' && id !== '..', 'must not be "." or ".." (it names files in Worker_Outbox)')
  .refine((id) => !id.startsWith('-'), 'must not start with "-" (it names files: a tool would read it as an option)');

/** ASCII on purpose: labels end up in file names on NAS shares and in log prefixes. */
export const Label = z
  .string({ error: 'must be a string or null' })
  .max(100, { error: (issue) => `must be at most 100 characters, got ${String((issue.input as string).length)}` })
  .regex(/^[A-Za-z0-9 _-]*$/, 'may contain only letters, digits, spaces, hyphens and underscores')
  .refine((label) => !label.startsWith('-'), 'must not start with "-" (labels name files and prefix log lines)')
  .nullable()
  .optional();

/** Who asked (a flag's `requested_by`) or decided (a decision flag's): 1-100 characters, no control characters. */
export const RequestedBy = z
  .string({ error: required('must be a string') })
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');

export const Signature = z
  .string({ error: 'must be a string' })
  .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (HMAC-SHA256)');

const common = {
  task_id: TaskId,
  label: Label,
  requested_by: RequestedBy.optional(),
  signature: Signature.optional(),
  /** Ask for an approval even when the configuration does not (the keep-alive's last-known-good rollback). */
  require_approval: z.boolean({ error: 'must be true or false' }).optional(),
};

/** One message for every way commits_back can be wrong: wrong type, fraction, or out of range. */
const commitsBackError = {
  error: (issue: { input?: unknown }) =>
    `must be an integer from ${COMMITS_BACK_MIN} to ${COMMITS_BACK_MAX}, got ${typeof issue.input === 'number' ? String(issue.input) : JSON.stringify(issue.input)}`,
};
const CommitsBack = z
  .number(commitsBackError)
  .int(commitsBackError)
  .min(COMMITS_BACK_MIN, commitsBackError)
  .max(COMMITS_BACK_MAX, commitsBackError);

const NoParams = z.strictObject({}, { error: 'must be an object' }).prefault({});

function simple<H extends Exclude<Handler, 'rollback_code'>>(handler: H) {
  return z.strictObject({ ...common, handler: z.literal(handler), params: NoParams });
}

/** A flag body as the ingest accepts it and the CLI writes it. `params` may be omitted: it defaults to `{}`. */
export const Flag = z.discriminatedUnion('handler', [
  z.strictObject({
    ...common,
    handler: z.literal('rollback_code'),
    params: z.strictObject({ commits_back: CommitsBack.default(1) }, { error: 'must be an object' }).prefault({}),
  }),
  simple('update_code'),
  simple('update_code_deps'),
  simple('pause_watcher'),
  simple('resume_watcher'),
  simple('restart_watcher'),
  simple('diagnostics'),
  simple('verify_db'),
]);
export type Flag = z.infer<typeof Flag>;
export type FlagInput = z.input<typeof Flag>;

/**
 * The fields every flag shares. Used only when `handler` is missing or unknown: the discriminated union
 * then stops at the handler, and the operator deserves every other problem in the same report.
 */
const FlagEnvelope = z.strictObject({
  ...common,
  handler: z.enum(HANDLERS, {
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : `unknown handler ${JSON.stringify(issue.input)}; expected one of ${HANDLERS.join(', ')}`,
  }),
  params: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
});

/** Names the parameters a handler takes, for "unknown key" under `params`. */
function paramsHint(body: unknown): string {
  const handler = typeof body === 'object' && body !== null ? (body as { handler?: unknown }).handler : undefined;
  if (handler === 'rollback_code') return 'unknown parameter (rollback_code takes commits_back)';
  return typeof handler === 'string' ? `unknown parameter (${handler} takes none)` : 'unknown parameter';
}

function problemsOf(error: z.ZodError, body: unknown): FlagProblem[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const message = at.length === 1 && at[0] === 'params' ? paramsHint(body) : 'unknown key';
      return issue.keys.map((key) => ({ path: [...at, key].join('.'), message }));
    }
    if (at.length === 0 && issue.code === 'invalid_type') return [{ path: '(root)', message: 'must be a JSON object' }];
    return [{ path: at.join('.') || '(root)', message: issue.message }];
  });
}

/** Validates a parsed JSON value against `Flag`, listing every problem. Never throws. */
export function checkFlag(body: unknown): { ok: true; flag: Flag } | { ok: false; problems: FlagProblem[] } {
  const parsed = Flag.safeParse(body);
  if (parsed.success) return { ok: true, flag: parsed.data };
  const noHandler = parsed.error.issues.some(
    (issue) => issue.code === 'invalid_union' && issue.path.join('.') === 'handler',
  );
  const error = noHandler ? (FlagEnvelope.safeParse(body).error ?? parsed.error) : parsed.error;
  return { ok: false, problems: problemsOf(error, body) };
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FlagProblem } from './schema.js';

/**
 * Canonical body of a flag, the bytes the HMAC covers (also in docs/flags.md, "Signing a flag"):
 * the JSON object as written in the file, without its `signature` key, with the keys of every object
 * sorted by UTF-16 code units (JS default sort), serialised by JSON.stringify with no whitespace, then
 * UTF-8 encoded. Signed is what was written, not what the schema made of it: a default such as
 * commits_back=1 is covered only if the writer put it in the file, so any writer can reproduce the bytes.
 */
export function canonicalBody(body: Readonly<Record<string, unknown>>): string {
  const { signature: _signature, ...rest } = body;
  return stringifySorted(rest);
}

/** One unit of pending output: a value to serialise, or literal text (a bracket, a comma, a key). */
type Piece = { value: unknown } | { text: string };

/**
 * JSON.stringify with every object's keys sorted, without recursion (the body may be nested thousands of
 * levels deep; a recursive sort or JSON.stringify itself overflows the stack). Plain JSON values only, as
 * JSON.parse made them: an `undefined` member is left out and an `undefined` array item becomes null, as
 * JSON.stringify does.
 */
function stringifySorted(root: unknown): string {
  let out = '';
  const todo: Piece[] = [{ value: root }];
  for (let piece = todo.pop(); piece !== undefined; piece = todo.pop()) {
    if ('text' in piece) {
      out += piece.text;
      continue;
    }
    const { value } = piece;
    if (Array.isArray(value)) {
      const items: Piece[] = value
        .map((item: unknown, i) => [{ text: i === 0 ? '' : ',' }, { value: item ?? null }])
        .flat();
      todo.push({ text: ']' }, ...items.reverse());
      out += '[';
    } else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .sort()
        .filter((key) => record[key] !== undefined);
      const members: Piece[] = keys
        .map((key, i) => [{ text: `${i === 0 ? '' : ','}${JSON.stringify(key)}:` }, { value: record[key] }])
        .flat();
      todo.push({ text: '}' }, ...members.reverse());
      out += '{';
    } else {
      out += JSON.stringify(value) ?? 'null';
    }
  }
  return out;
}

/** Lowercase hex HMAC-SHA256 of the canonical body; the key is the UTF-8 bytes of `security.hmac_key`. */
export function signBody(body: Readonly<Record<string, unknown>>, key: string): string {
  return createHmac('sha256', key).update(canonicalBody(body), 'utf8').digest('hex');
}

export interface SignaturePolicy {
  /** `security.require_signature`: unsigned flags are refused. */
  requireSignature: boolean;
  /** `security.hmac_key`; without it a signature cannot be checked. */
  hmacKey?: string | undefined;
}

/** `valid`/`invalid`: checked; `absent`: none given; `unchecked`: given, but no key configured to check it. */
export type SignatureState = 'valid' | 'invalid' | 'absent' | 'unchecked';

/**
 * Applies the policy to a parsed body. A present signature is always checked when a key is configured,
 * even if signatures are not required: a wrong one means tampering or a wrong key, never "unsigned".
 */
export function checkSignature(
  body: unknown,
  policy: SignaturePolicy,
): { state: SignatureState; problems: FlagProblem[] } {
  const record =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const given = record?.signature;
  const key = policy.hmacKey ? policy.hmacKey : undefined;
  if (given === undefined) {
    const problems = policy.requireSignature
      ? [{ path: 'signature', message: 'is required: security.require_signature is on' }]
      : [];
    return { state: 'absent', problems };
  }
  if (key === undefined) {
    const problems = policy.requireSignature
      ? [{ path: 'signature', message: 'cannot be checked: no security.hmac_key configured' }]
      : [];
    return { state: 'unchecked', problems };
  }
  // A malformed signature is the schema's problem to report; here it only must not pass.
  if (typeof given !== 'string' || !/^[0-9a-fA-F]{64}$/.test(given)) return { state: 'invalid', problems: [] };
  const expected = Buffer.from(signBody(record ?? {}, key), 'hex');
  const actual = Buffer.from(given, 'hex');
  // Equal lengths are guaranteed by the pattern; the check stays because timingSafeEqual throws otherwise.
  if (actual.length === expected.length && timingSafeEqual(actual, expected)) return { state: 'valid', problems: [] };
  return {
    state: 'invalid',
    problems: [{ path: 'signature', message: 'does not match the flag (wrong key or altered content)' }],
  };
}

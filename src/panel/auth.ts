/**
 * Who may decide, and whether the request came from the panel's own page. A decision needs an operator
 * token of `http.operator_tokens` in `Authorization: Bearer …` (its NAME decides); on top, the CSRF
 * checks: JSON content type, the page's per-process token in X-CSRF-Token and in the SameSite=Strict
 * cookie (double submit), and an Origin (or Sec-Fetch-Site) of this very host. Tokens are compared in
 * constant time and never logged or echoed.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CSRF_COOKIE = 'supervisor_panel_csrf';

/** The per-process CSRF token (not a secret against the operator: a value a cross-site page cannot read). */
export function newCsrfToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Equal-length digests, so neither the content nor the length of the token leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The operator whose token the Authorization header carries, or null (absent, malformed or unknown). */
export function operatorFor(
  tokens: Readonly<Record<string, string>>,
  authorization: string | undefined,
): string | null {
  const match = /^Bearer ([^\s]+)\s*$/i.exec(authorization ?? '');
  if (match?.[1] === undefined) return null;
  let found: string | null = null;
  // Every token is compared: which one matched, or whether any did, takes the same time.
  for (const [name, token] of Object.entries(tokens)) if (sameSecret(match[1], token) && found === null) found = name;
  return found;
}

function cookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Why the request is not the panel's own (a 403), or null when it is. */
export function csrfProblem(request: IncomingMessage, csrfToken: string): string | null {
  const type = header(request, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) return 'the content type must be application/json';
  const site = header(request, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${site} request cannot decide`;
  const origin = header(request, 'origin');
  if (origin !== undefined) {
    let host: string | null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host === null || host !== header(request, 'host')) return 'the Origin is not this panel';
  }
  const sent = header(request, 'x-csrf-token');
  if (sent === undefined || !sameSecret(sent, csrfToken))
    return 'the X-CSRF-Token is missing or wrong: reload the page';
  const kept = cookie(request, CSRF_COOKIE);
  if (kept === undefined || !sameSecret(kept, csrfToken)) return 'the CSRF cookie is missing or wrong: reload the page';
  return null;
}

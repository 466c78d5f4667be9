import type { AuthOutcome, Credentials } from '../../../application/ports/authenticator.js';

/** Far above any real access token (a few KiB at most); a longer header is refused before it is parsed. */
export const MAX_AUTHORIZATION_CHARS = 16 * 1024;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/**
 * RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a token68; group 1 when the token is
 * JWT-shaped (three base64url segments, the third possibly empty: that is how `alg: none` arrives,
 * and it is refused later), group 2 otherwise. One pass over the value on the hot path.
 */
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] +(?:([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)|([A-Za-z0-9\-._~+/]+=*))$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]* /;

export type BearerCredential =
  | { readonly kind: 'token'; readonly token: string; readonly format: 'jwt' | 'opaque' }
  | Extract<AuthOutcome, { kind: 'absent' | 'rejected' }>;

const ABSENT = Object.freeze({ kind: 'absent' as const });

function malformed(reason: string): BearerCredential {
  return { kind: 'rejected', error: 'invalid_request', reason };
}

/**
 * The bearer token of a request, or why there is none. Header-level faults (two Authorization
 * headers, an oversized or non-ASCII value, a Bearer value that is not a token68) are refused as
 * `invalid_request` with a reason that never quotes the value. Another scheme (Basic, DPoP) is not
 * ours: `absent`.
 */
export function bearerCredential(credentials: Credentials): BearerCredential {
  const values = credentials.authorization;
  if (values.length === 0) return ABSENT;
  if (values.length > 1) return malformed('more than one Authorization header');
  const value = values[0];
  if (value.length > MAX_AUTHORIZATION_CHARS) return malformed(`Authorization header longer than ${MAX_AUTHORIZATION_CHARS} characters`);
  const bearer = BEARER.exec(value);
  if (bearer) return bearer[1] !== undefined ? { kind: 'token', token: bearer[1], format: 'jwt' } : { kind: 'token', token: bearer[2], format: 'opaque' };
  if (!PRINTABLE_ASCII.test(value)) return malformed('Authorization header has characters outside printable ASCII');
  const scheme = SCHEME.exec(value)?.[0].trim().toLowerCase();
  return scheme === undefined || scheme === 'bearer' ? malformed('Authorization header is not "Bearer <token>"') : ABSENT;
}

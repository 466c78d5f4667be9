import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { IssuerUnavailable } from './issuer-http.js';
import type { IssuerKeys } from './issuer-keys.js';
import { outcomeForClaims, type PrincipalPolicy } from './token-principal.js';
import type { Verdict } from './verdict-cache.js';

export interface JwtExpectations {
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly clockSkewS: number;
}

/** A refusal that a later try cannot change is remembered this long, so a replayed bad token costs a lookup. */
const REFUSAL_TTL_MS = 60_000;

/**
 * JWT access tokens (RFC 9068) against the issuer's JWKS. Issuer, audience and algorithm are read
 * from the unverified token first: a token that cannot pass never costs a signature check or makes
 * us fetch keys (a made-up `kid` from someone else's issuer would otherwise trigger a JWKS refetch).
 * Then jose verifies the signature and every claim again, for real.
 */
export class JwtAccessTokenVerifier {
  private readonly algorithms: ReadonlySet<string>;

  constructor(
    private readonly keys: IssuerKeys,
    private readonly expect: JwtExpectations,
    private readonly policy: PrincipalPolicy,
  ) {
    this.algorithms = new Set(expect.algorithms);
  }

  async verify(token: string, now: Date): Promise<Verdict> {
    const nowMs = now.getTime();
    const precheck = this.precheck(token);
    if (precheck) return refused(precheck, nowMs);
    let payload: JWTPayload;
    try {
      const getKey = await this.keys.lookup(nowMs);
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: this.expect.issuer,
        audience: this.expect.audience,
        algorithms: [...this.algorithms],
        clockTolerance: this.expect.clockSkewS,
        currentDate: now,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return verdictForFailure(error, nowMs);
    }
    const until = ((payload.exp as number) + this.expect.clockSkewS) * 1000;
    return { outcome: outcomeForClaims(payload, this.policy), untilMs: until };
  }

  private precheck(token: string): string | undefined {
    let alg: unknown;
    let claims: JWTPayload;
    try {
      alg = decodeProtectedHeader(token).alg;
      claims = decodeJwt(token);
    } catch {
      return 'token is not a well-formed JWT';
    }
    if (typeof alg !== 'string' || !this.algorithms.has(alg)) return `token algorithm ${JSON.stringify(alg ?? null)} is not accepted`;
    if (claims.iss !== this.expect.issuer) return 'token issuer is not the configured issuer';
    const aud = claims.aud;
    if (!(aud === this.expect.audience || (Array.isArray(aud) && aud.includes(this.expect.audience)))) return 'token audience is not this server';
    return undefined;
  }
}

function refused(reason: string, nowMs: number): Verdict {
  return { outcome: { kind: 'rejected', error: 'invalid_token', reason }, untilMs: nowMs + REFUSAL_TTL_MS };
}

function transient(reason: string): Verdict {
  return { outcome: { kind: 'rejected', error: 'invalid_token', reason } };
}

/** jose's failures in our words (they never carry the token), with whether a retry could differ. */
function verdictForFailure(error: unknown, nowMs: number): Verdict {
  if (error instanceof errors.JWTExpired) return refused('token has expired', nowMs);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return transient('token is not valid yet (nbf)');
    return refused(`token claim "${error.claim}" is ${error.reason === 'missing' ? 'missing' : 'invalid'}`, nowMs);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return refused('token algorithm is not accepted', nowMs);
  if (error instanceof errors.JWSSignatureVerificationFailed) return refused('token signature does not verify', nowMs);
  if (error instanceof errors.JWKSNoMatchingKey) return transient('no signing key of the issuer matches the token (unknown kid)');
  if (error instanceof errors.JWKSMultipleMatchingKeys) return refused('token names no key (kid) and several of the issuer\'s keys fit', nowMs);
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return refused('token is not a well-formed JWT', nowMs);
  if (error instanceof IssuerUnavailable) return { outcome: { kind: 'unavailable', reason: error.message } };
  // JWKSTimeout, JWKSInvalid, JWKInvalid, a non-200 JWKS answer (a generic JOSEError) or a network error.
  const detail = error instanceof errors.JOSEError ? error.code : error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : 'unknown error';
  return { outcome: { kind: 'unavailable', reason: `the issuer's signing keys could not be fetched (${detail})` } };
}

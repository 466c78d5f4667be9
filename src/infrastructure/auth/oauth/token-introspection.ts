import { fetchIssuerJson, IssuerUnavailable } from './issuer-http.js';
import { outcomeForClaims, type PrincipalPolicy } from './token-principal.js';
import type { Verdict } from './verdict-cache.js';

export interface IntrospectionOptions {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly issuer: string;
  readonly audience: string;
  readonly clockSkewS: number;
  /** How long an answer is reused: a revocation at the issuer is seen after at most this. */
  readonly cacheS: number;
  readonly timeoutMs: number;
}

/**
 * Opaque access tokens through the issuer's RFC 7662 introspection endpoint, this server
 * authenticating as its own client (`client_secret_basic`). Only an active token issued by our
 * issuer *for this server* passes: `aud` must name our resource URI (RFC 8707), as with JWTs, or a
 * token meant for another API at the same issuer would be accepted here.
 */
export class TokenIntrospection {
  private readonly authorization: string;

  constructor(
    private readonly options: IntrospectionOptions,
    private readonly policy: PrincipalPolicy,
  ) {
    // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
    const credentials = `${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  }

  async verify(token: string, now: Date): Promise<Verdict> {
    const nowMs = now.getTime();
    let answer: Record<string, unknown>;
    try {
      answer = await fetchIssuerJson(
        this.options.url,
        {
          method: 'POST',
          headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        },
        this.options.timeoutMs,
      );
    } catch (error) {
      if (error instanceof IssuerUnavailable) return { outcome: { kind: 'unavailable', reason: `token introspection failed: ${error.message}` } };
      throw error;
    }
    const reuseUntil = nowMs + this.options.cacheS * 1000;
    const refusal = this.refusal(answer, nowMs);
    if (refusal) return { outcome: { kind: 'rejected', error: 'invalid_token', reason: refusal.reason }, ...(refusal.final ? { untilMs: reuseUntil } : {}) };
    const exp = typeof answer.exp === 'number' ? (answer.exp + this.options.clockSkewS) * 1000 : Number.POSITIVE_INFINITY;
    return { outcome: outcomeForClaims(answer, this.policy), untilMs: Math.min(reuseUntil, exp) };
  }

  private refusal(answer: Record<string, unknown>, nowMs: number): { reason: string; final: boolean } | undefined {
    const skewMs = this.options.clockSkewS * 1000;
    if (answer.active !== true) return { reason: 'token is not active (introspection)', final: true };
    if (answer.iss !== undefined && answer.iss !== this.options.issuer) return { reason: 'token issuer is not the configured issuer', final: true };
    const aud = answer.aud;
    if (!(aud === this.options.audience || (Array.isArray(aud) && aud.includes(this.options.audience)))) return { reason: 'token audience is not this server', final: true };
    if (typeof answer.exp === 'number' && answer.exp * 1000 + skewMs <= nowMs) return { reason: 'token has expired', final: true };
    if (typeof answer.nbf === 'number' && answer.nbf * 1000 - skewMs > nowMs) return { reason: 'token is not valid yet (nbf)', final: false };
    return undefined;
  }
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

import type { Principal } from '../../domain/auth/principal.js';

/**
 * Port: who sent an HTTP request, from its credentials. Implementations: API keys (config and the
 * Postgres key store), OAuth 2.1 access tokens (JWT via the issuer's JWKS, or RFC 7662
 * introspection), and a composite that tries each. Verdicts may be cached until the credential
 * expires; revocations must reach every replica within seconds.
 */
export interface Credentials {
  /** Every `Authorization` header value as received (two values is header smuggling: refused). */
  readonly authorization: readonly string[];
  /** Every `X-API-Key` header value as received. */
  readonly apiKey: readonly string[];
}

export type AuthOutcome =
  | { readonly kind: 'authenticated'; readonly principal: Principal }
  /** No credential this authenticator understands: the next one may. */
  | { readonly kind: 'absent' }
  /**
   * A credential was presented and is not valid. `error` is the RFC 6750 error code for
   * WWW-Authenticate (`invalid_token` or `invalid_request`); `reason` is for logs and the 401 body
   * and never contains the credential.
   */
  | { readonly kind: 'rejected'; readonly error: 'invalid_token' | 'invalid_request'; readonly reason: string }
  /**
   * The credential is valid but lacks a scope this server requires of every caller: HTTP 403 with
   * RFC 6750 `insufficient_scope`, whose `scope=` lists `scope` (what a client should ask for).
   */
  | { readonly kind: 'forbidden'; readonly scope: readonly string[]; readonly reason: string }
  /**
   * The credential could not be checked now (the issuer's keys or its introspection endpoint did
   * not answer): HTTP 503, not 401, so a client holding a good token does not re-authorize in a loop.
   */
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface Authenticator {
  authenticate(credentials: Credentials): Promise<AuthOutcome>;
  /** Stops background work (JWKS refresh, revocation listeners). */
  close?(): Promise<void>;
}

import type { IncomingMessage } from 'node:http';
import type { Metrics } from '../application/ports/metrics.js';
import type { AuthOutcome, Authenticator, Credentials } from '../application/ports/authenticator.js';
import type { Logger } from '../application/ports/logger.js';
import type { RateLimiter } from '../application/ports/rate-limiter.js';
import { ANONYMOUS, type Principal } from '../domain/auth/principal.js';
import type { Admission, HttpAuth } from '../presentation/transports/http/http-auth.js';

/** The RFC 6750 challenge parameters of one refusal; the builder adds what identifies this server. */
export interface Challenge {
  readonly error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  readonly scope?: readonly string[];
  readonly description?: string;
}

export interface HttpAdmissionOptions {
  /** Absent: nobody authenticates (rate limits alone); every caller is the anonymous principal. */
  readonly authenticator?: Authenticator;
  /** The `WWW-Authenticate` value for a challenge (OAuth's with resource_metadata, or a realm). */
  readonly challenge: (challenge: Challenge) => string;
  /** `scope=` of the challenge to a request without a credential: what an OAuth client should ask for. */
  readonly scopesToAsk?: readonly string[];
  /** Request buckets, checked once the caller is known and before the body is read. */
  readonly limiter?: RateLimiter;
  /** Documents served without authentication, by path (the RFC 9728 metadata). */
  readonly documents?: ReadonlyMap<string, Record<string, unknown>>;
  /** What /ready shows besides the limits. */
  readonly description: Record<string, unknown>;
  readonly logger: Logger;
  /** Refusals by the request bucket (telemetry.metrics); absent: not counted. */
  readonly metrics?: Pick<Metrics, 'rateLimited'>;
}

/** How long a client should wait when its credential cannot be checked (the issuer is unreachable). */
const UNAVAILABLE_RETRY_S = 5;
/** Principals remembered as over budget; past this, expired entries are dropped before adding one. */
const MAX_BLOCKED = 10_000;

const ANONYMOUS_ADMISSION: Admission = Object.freeze({ ok: true, principal: ANONYMOUS });

/**
 * The HttpAuth of a server with `auth` and/or `rate_limits`: the authenticators' outcome as the
 * HTTP status and challenge the MCP authorization spec (RFC 6750, RFC 9728) asks for, then the
 * caller's request bucket. Only headers are read; the body is still unread when this refuses.
 */
export class HttpAdmission implements HttpAuth {
  /**
   * Principals refused by their request bucket, until the window the refusal named ends. Windows
   * are fixed, so no replica can let such a request through before then: a caller flooding past
   * its budget is refused here without a store round trip, and costs the others less CPU.
   */
  private readonly blocked = new Map<string, { readonly untilMs: number; readonly limit: string }>();

  constructor(private readonly options: HttpAdmissionOptions) {}

  async admit(req: IncomingMessage): Promise<Admission> {
    const { authenticator, limiter } = this.options;
    let principal = ANONYMOUS;
    let admission = ANONYMOUS_ADMISSION;
    if (authenticator) {
      const outcome = await authenticator.authenticate(credentialsOf(req.rawHeaders));
      if (outcome.kind !== 'authenticated') return this.refused(outcome, req);
      principal = outcome.principal;
      admission = { ok: true, principal };
    }
    return limiter ? this.withinBudget(limiter, principal, admission) : admission;
  }

  wellKnown(pathname: string): Record<string, unknown> | undefined {
    return this.options.documents?.get(pathname);
  }

  describe(): Record<string, unknown> {
    return { ...this.options.description, rate_limits: this.options.limiter?.describe() ?? { enabled: false } };
  }

  private async withinBudget(limiter: RateLimiter, principal: Principal, admission: Admission): Promise<Admission> {
    const now = Date.now();
    const block = this.blocked.get(principal.id);
    if (block !== undefined) {
      if (now < block.untilMs) {
        this.options.metrics?.rateLimited('request');
        return tooManyRequests(principal, block.limit, block.untilMs - now);
      }
      this.blocked.delete(principal.id);
    }
    const key = principal.rateLimitClass === undefined ? { principalId: principal.id } : { principalId: principal.id, limitClass: principal.rateLimitClass };
    const decision = await limiter.request(key);
    if (decision.allowed) return admission;
    this.block(principal.id, now + decision.retryAfterMs, decision.limit, now);
    this.options.metrics?.rateLimited('request');
    return tooManyRequests(principal, decision.limit, decision.retryAfterMs);
  }

  private block(principalId: string, untilMs: number, limit: string, now: number): void {
    if (this.blocked.size >= MAX_BLOCKED) {
      for (const [id, entry] of this.blocked) if (entry.untilMs <= now) this.blocked.delete(id);
      if (this.blocked.size >= MAX_BLOCKED) return;
    }
    this.blocked.set(principalId, { untilMs, limit });
  }

  private refused(outcome: Exclude<AuthOutcome, { kind: 'authenticated' }>, req: IncomingMessage): Admission {
    const { challenge } = this.options;
    switch (outcome.kind) {
      case 'absent':
        return {
          ok: false,
          status: 401,
          headers: { 'WWW-Authenticate': challenge(this.options.scopesToAsk ? { scope: this.options.scopesToAsk } : {}) },
          code: 'auth.required',
          message: 'Unauthorized: send a credential (Authorization: Bearer <access token or API key>, or X-API-Key)',
        };
      case 'rejected':
        this.options.logger.debug('request refused: invalid credential', { reason: outcome.reason, error: outcome.error, remote: req.socket.remoteAddress });
        return {
          ok: false,
          // RFC 6750 §3.1: a malformed request is 400, a bad token 401; both carry the challenge.
          status: outcome.error === 'invalid_request' ? 400 : 401,
          headers: { 'WWW-Authenticate': challenge({ error: outcome.error, description: outcome.reason }) },
          code: `auth.${outcome.error}`,
          message: `${outcome.error === 'invalid_request' ? 'Bad Request' : 'Unauthorized'}: ${outcome.reason}`,
        };
      case 'forbidden':
        return {
          ok: false,
          status: 403,
          headers: { 'WWW-Authenticate': challenge({ error: 'insufficient_scope', scope: outcome.scope, description: outcome.reason }) },
          code: 'auth.insufficient_scope',
          message: `Forbidden: ${outcome.reason}`,
        };
      case 'unavailable':
        return {
          ok: false,
          status: 503,
          headers: { 'Retry-After': String(UNAVAILABLE_RETRY_S) },
          code: 'auth.unavailable',
          message: `Service unavailable: the credential cannot be checked now (${outcome.reason}); retry shortly`,
        };
    }
  }
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Every Authorization and X-API-Key value as received, repeats included (node keeps only the first
 * Authorization in `req.headers`): one pass over the raw header list, which node has already,
 * instead of `headersDistinct`, which builds an object of every header on each request.
 */
export function credentialsOf(raw: readonly string[]): Credentials {
  let authorization: string[] | undefined;
  let apiKey: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') (authorization ??= []).push(raw[i + 1]!);
    else if (name.length === 9 && name.toLowerCase() === 'x-api-key') (apiKey ??= []).push(raw[i + 1]!);
  }
  return { authorization: authorization ?? NONE, apiKey: apiKey ?? NONE };
}

function tooManyRequests(principal: Principal, limit: string, retryAfterMs: number): Admission {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return {
    ok: false,
    status: 429,
    headers: { 'Retry-After': String(seconds) },
    code: 'rate_limited',
    message: `Too Many Requests: ${limit} reached for ${principal.id}; retry after ${seconds} s`,
    retryAfterMs,
  };
}

/** RFC 6749 scope-token and RFC 6750 error_description characters; anything else is dropped or replaced. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const NOT_DESCRIPTION_CHAR = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;

/**
 * The challenge of a server with API keys and no OAuth: `Bearer realm="…"` (RFC 6750 §3), there
 * being no authorization server to point a client at.
 */
export function realmChallenge(realm: string): (challenge: Challenge) => string {
  const base = `Bearer realm="${realm.replace(NOT_DESCRIPTION_CHAR, ' ').slice(0, 100)}"`;
  return ({ error, scope, description }) => {
    const params = [base];
    if (error) params.push(`error="${error}"`);
    const scopes = (scope ?? []).filter((entry) => SCOPE_TOKEN.test(entry));
    if (scopes.length > 0) params.push(`scope="${scopes.join(' ')}"`);
    const text = description?.replace(NOT_DESCRIPTION_CHAR, ' ').slice(0, 200).trim();
    if (text) params.push(`error_description="${text}"`);
    return params.join(', ');
  };
}

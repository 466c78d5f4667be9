import { readFile } from 'node:fs/promises';
import type { AuthOutcome, Authenticator, Credentials } from '../../../application/ports/authenticator.js';
import type { Clock } from '../../../application/ports/clock.js';
import type { Logger } from '../../../application/ports/logger.js';
import { ConfigError } from '../../config/config-error.js';
import { bearerCredential } from './bearer-credential.js';
import { IssuerKeys } from './issuer-keys.js';
import { JwtAccessTokenVerifier } from './jwt-access-token-verifier.js';
import { checkedAlgorithms, checkedIssuerUrl, type OAuthOptions } from './oauth-options.js';
import { checkedResourceUri } from './protected-resource-metadata.js';
import { TokenIntrospection } from './token-introspection.js';
import { VerdictCache, type Verdict } from './verdict-cache.js';

export interface OAuthAuthenticatorDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** The introspection client's secret (`create` reads it from `clientSecretFile`). */
  readonly clientSecret?: string;
}

const SYSTEM_CLOCK: Clock = { now: () => new Date() };
const ABSENT: AuthOutcome = Object.freeze({ kind: 'absent' });
/** One warning per this period while the issuer cannot be reached, not one per request. */
const WARN_EVERY_MS = 30_000;

/**
 * The OAuth 2.1 resource server of the MCP authorization spec: `Authorization: Bearer` access
 * tokens, JWTs verified against the issuer's keys, opaque ones introspected when configured. Each
 * distinct token is decided once and the verdict reused until the token expires (the per-request
 * cost is a SHA-256 and a map lookup). Tokens are never logged, returned or passed on.
 *
 * A Bearer value that is not JWT-shaped is `absent` when introspection is off, so an API-key
 * authenticator placed before this one in a composite can claim it.
 */
export class OAuthAuthenticator implements Authenticator {
  private readonly verdicts: VerdictCache;
  private readonly jwt: JwtAccessTokenVerifier;
  private readonly introspection?: TokenIntrospection;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private lastWarningMs = Number.NEGATIVE_INFINITY;

  /** Reads the introspection client's secret file, then constructs; config faults are `ConfigError`s. */
  static async create(options: OAuthOptions, deps: Omit<OAuthAuthenticatorDeps, 'clientSecret'>): Promise<OAuthAuthenticator> {
    if (options.introspectionUrl === undefined) return new OAuthAuthenticator(options, deps);
    if (options.clientSecretFile === undefined) throw new ConfigError('auth.oauth.client_secret_file', 'is required with auth.oauth.introspection_url');
    let secret: string;
    try {
      secret = (await readFile(options.clientSecretFile, 'utf8')).trim();
    } catch (error) {
      throw new ConfigError('auth.oauth.client_secret_file', `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (secret === '') throw new ConfigError('auth.oauth.client_secret_file', 'is empty');
    return new OAuthAuthenticator(options, { ...deps, clientSecret: secret });
  }

  constructor(options: OAuthOptions, deps: OAuthAuthenticatorDeps) {
    checkedIssuerUrl('auth.oauth.issuer', options.issuer);
    checkedResourceUri('auth.oauth.audience', options.audience);
    if (options.jwksUrl !== undefined) checkedIssuerUrl('auth.oauth.jwks_url', options.jwksUrl);
    this.clock = deps.clock ?? SYSTEM_CLOCK;
    this.logger = deps.logger.child({ component: 'oauth' });
    this.verdicts = new VerdictCache(options.verdictCacheSize ?? 10_000);
    const policy = { requiredScopes: options.requiredScopes, ...(options.tenantClaim ? { tenantClaim: options.tenantClaim } : {}) };
    const timeoutMs = options.httpTimeoutMs ?? 5_000;
    const keys = new IssuerKeys({
      issuer: options.issuer,
      ...(options.jwksUrl !== undefined ? { jwksUrl: options.jwksUrl } : {}),
      cooldownMs: options.jwksCooldownMs ?? 30_000,
      maxAgeMs: options.jwksMaxAgeMs ?? 600_000,
      timeoutMs,
    });
    const expectations = { issuer: options.issuer, audience: options.audience, algorithms: checkedAlgorithms(options.algorithms), clockSkewS: options.clockSkewS };
    this.jwt = new JwtAccessTokenVerifier(keys, expectations, policy);
    if (options.introspectionUrl !== undefined) {
      checkedIssuerUrl('auth.oauth.introspection_url', options.introspectionUrl);
      if (!options.clientId) throw new ConfigError('auth.oauth.client_id', 'is required with auth.oauth.introspection_url');
      if (!deps.clientSecret) throw new ConfigError('auth.oauth.client_secret_file', 'is required with auth.oauth.introspection_url');
      this.introspection = new TokenIntrospection(
        { url: options.introspectionUrl, clientId: options.clientId, clientSecret: deps.clientSecret, issuer: options.issuer, audience: options.audience, clockSkewS: options.clockSkewS, cacheS: options.introspectionCacheS ?? 60, timeoutMs },
        policy,
      );
    }
  }

  async authenticate(credentials: Credentials): Promise<AuthOutcome> {
    const bearer = bearerCredential(credentials);
    if (bearer.kind !== 'token') return bearer;
    const verifier = bearer.format === 'jwt' ? this.jwt : this.introspection;
    if (!verifier) return ABSENT;
    const now = this.clock.now();
    const key = VerdictCache.keyOf(bearer.token);
    const known = this.verdicts.cached(key, now.getTime());
    if (known) return known;
    const outcome = await this.verdicts.resolve(key, now.getTime(), () => this.decide(verifier, bearer.token, now));
    if (outcome.kind === 'unavailable') this.warn(outcome.reason, now.getTime());
    return outcome;
  }

  /** Verdicts held (distinct tokens seen and not yet expired or evicted): for /ready details. */
  get cachedVerdicts(): number {
    return this.verdicts.size;
  }

  async close(): Promise<void> {
    this.verdicts.clear();
  }

  private async decide(verifier: JwtAccessTokenVerifier | TokenIntrospection, token: string, now: Date): Promise<Verdict> {
    try {
      return await verifier.verify(token, now);
    } catch (error) {
      // A fault of ours, not the caller's: refuse without caching, and say so once.
      this.logger.error('OAuth token check failed unexpectedly', { error: error instanceof Error ? error.message : String(error) });
      return { outcome: { kind: 'unavailable', reason: 'token check failed' } };
    }
  }

  private warn(reason: string, nowMs: number): void {
    if (nowMs - this.lastWarningMs < WARN_EVERY_MS) return;
    this.lastWarningMs = nowMs;
    this.logger.warn('OAuth tokens cannot be checked: the issuer is unreachable or answered badly', { reason });
  }
}

import type { Pool } from 'pg';
import type { Metrics } from '../application/ports/metrics.js';
import type { Authenticator } from '../application/ports/authenticator.js';
import type { Clock } from '../application/ports/clock.js';
import type { Logger } from '../application/ports/logger.js';
import type { RateLimiter } from '../application/ports/rate-limiter.js';
import type { AuthConfig, OAuthConfig } from '../infrastructure/config/auth.schema.js';
import type { OAuthOptions } from '../infrastructure/auth/oauth/oauth-options.js';
import type { HttpAuth } from '../presentation/transports/http/http-auth.js';
import { CompositeAuthenticator } from './composite-authenticator.js';
import { HttpAdmission, realmChallenge, type Challenge } from './http-admission.js';

export interface HttpAuthDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  /** The persistence pool: the Postgres key store holds one of its connections for LISTEN. */
  readonly pool?: Pool;
  /** Request buckets (rate_limits.enabled). */
  readonly limiter?: RateLimiter;
  /** Counts the request buckets' refusals (telemetry.metrics). */
  readonly metrics?: Pick<Metrics, 'rateLimited'>;
}

export interface WiredHttpAuth {
  readonly auth: HttpAuth;
  /** Stops the key store's LISTEN connection and refresh, and drops cached verdicts. */
  close(): Promise<void>;
}

/**
 * The HTTP edge's admission from `auth` (API keys first, then OAuth) and the request buckets of
 * `rate_limits`. This module, and the authenticators it loads, are imported only when one of the
 * two is configured: an open loopback server never loads jose, scrypt verification or the limiter.
 * Configuration faults found here (an unreadable client secret file) are ConfigErrors.
 */
export async function wireHttpAuth(auth: AuthConfig | undefined, deps: HttpAuthDeps): Promise<WiredHttpAuth> {
  const authenticators: Authenticator[] = [];
  const mechanisms: Record<string, unknown> = {};
  let challenge: (challenge: Challenge) => string = realmChallenge('tfo-mcp');
  let scopesToAsk: readonly string[] | undefined;
  let documents: Map<string, Record<string, unknown>> | undefined;
  try {
    if (auth && (auth.api_keys.length > 0 || auth.api_key_store === 'postgres')) {
      const { createApiKeyAuthenticator } = await import('../infrastructure/auth/api-keys/create-api-key-authenticator.js');
      authenticators.push(await createApiKeyAuthenticator(auth, { logger: deps.logger, clock: deps.clock, ...(deps.pool ? { pool: deps.pool } : {}) }));
      mechanisms['api_keys'] = { store: auth.api_key_store, in_config: auth.api_keys.length };
    }
    if (auth?.oauth) {
      const [{ OAuthAuthenticator }, metadata, { wwwAuthenticate }] = await Promise.all([
        import('../infrastructure/auth/oauth/oauth-authenticator.js'),
        import('../infrastructure/auth/oauth/protected-resource-metadata.js'),
        import('../infrastructure/auth/oauth/www-authenticate.js'),
      ]);
      const options = oauthOptions(auth.oauth);
      authenticators.push(await OAuthAuthenticator.create(options, { logger: deps.logger, clock: deps.clock }));
      const resourceMetadataUrl = metadata.resourceMetadataUrl(options.audience);
      const document = { ...metadata.protectedResourceMetadata(options) };
      documents = new Map(metadata.resourceMetadataPaths(options.audience).map((path) => [path, document]));
      challenge = (c) => wwwAuthenticate({ resourceMetadataUrl, ...c });
      scopesToAsk = metadata.scopesSupported(options);
      mechanisms['oauth'] = { issuer: options.issuer, audience: options.audience, resource_metadata: resourceMetadataUrl, required_scopes: options.requiredScopes };
    }
  } catch (error) {
    await Promise.all(authenticators.map((authenticator) => authenticator.close?.()));
    throw error;
  }
  const authenticator = authenticators.length > 0 ? new CompositeAuthenticator(authenticators) : undefined;
  const admission = new HttpAdmission({
    ...(authenticator ? { authenticator } : {}),
    challenge,
    ...(scopesToAsk ? { scopesToAsk } : {}),
    ...(deps.limiter ? { limiter: deps.limiter } : {}),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(documents ? { documents } : {}),
    description: { authentication: authenticator ? mechanisms : 'none' },
    logger: deps.logger.child({ component: 'http-auth' }),
  });
  return { auth: admission, close: async () => authenticator?.close() };
}

/** `auth.oauth` in the authenticator's terms. */
function oauthOptions(oauth: OAuthConfig): OAuthOptions {
  return {
    issuer: oauth.issuer,
    audience: oauth.audience,
    requiredScopes: oauth.required_scopes,
    algorithms: oauth.algorithms,
    clockSkewS: oauth.clock_skew_s,
    ...(oauth.jwks_url !== undefined ? { jwksUrl: oauth.jwks_url } : {}),
    ...(oauth.introspection_url !== undefined ? { introspectionUrl: oauth.introspection_url } : {}),
    ...(oauth.client_id !== undefined ? { clientId: oauth.client_id } : {}),
    ...(oauth.client_secret_file !== undefined ? { clientSecretFile: oauth.client_secret_file } : {}),
    ...(oauth.tenant_claim !== undefined ? { tenantClaim: oauth.tenant_claim } : {}),
    ...(oauth.scopes_supported !== undefined ? { scopesSupported: oauth.scopes_supported } : {}),
    ...(oauth.resource_name !== undefined ? { resourceName: oauth.resource_name } : {}),
    ...(oauth.introspection_cache_s !== undefined ? { introspectionCacheS: oauth.introspection_cache_s } : {}),
  };
}

import { ConfigError } from '../../config/config-error.js';

/**
 * What the OAuth resource server needs, in the camelCase of the `auth.oauth.*` keys; the composition
 * root maps the parsed config onto it. The optional fields past `clockSkewS` have defaults here.
 */
export interface OAuthOptions {
  /** `auth.oauth.issuer`: a token's `iss` must equal it exactly (no trailing-slash folding). */
  readonly issuer: string;
  /** `auth.oauth.audience`: this server's canonical resource URI (RFC 8707); a token's `aud` must contain it. */
  readonly audience: string;
  /** `auth.oauth.jwks_url`; absent: `jwks_uri` from the issuer's RFC 8414 / OpenID Connect discovery document. */
  readonly jwksUrl?: string;
  /** `auth.oauth.required_scopes`: every caller's token must carry all of them (else 403 insufficient_scope). */
  readonly requiredScopes: readonly string[];
  /** `auth.oauth.introspection_url`: when set, opaque (non-JWT) tokens are checked there (RFC 7662). */
  readonly introspectionUrl?: string;
  /** `auth.oauth.client_id`: this server's client at the issuer, for introspection. */
  readonly clientId?: string;
  /** `auth.oauth.client_secret_file`: the file holding that client's secret (read once, at creation). */
  readonly clientSecretFile?: string;
  /** `auth.oauth.algorithms`: JWS algorithms accepted; `none` and every HS* are refused at creation. */
  readonly algorithms: readonly string[];
  /** `auth.oauth.clock_skew_s`: tolerance on `exp` and `nbf`. */
  readonly clockSkewS: number;
  /** `auth.oauth.tenant_claim` (beyond the contract): the claim whose string value becomes `Principal.tenant`. */
  readonly tenantClaim?: string;
  /** `auth.oauth.scopes_supported` (beyond the contract): for the metadata document; see `protectedResourceMetadata`. */
  readonly scopesSupported?: readonly string[];
  /** `auth.oauth.resource_name` (beyond the contract): the metadata document's human-readable name. */
  readonly resourceName?: string;
  /** `auth.oauth.introspection_cache_s` (beyond the contract): how long an introspection verdict is reused. Default 60. */
  readonly introspectionCacheS?: number;
  /** Minimum time between two JWKS refetches caused by an unknown `kid`. Default 30 000. */
  readonly jwksCooldownMs?: number;
  /** A JWKS older than this is refetched before use (a removed key stops verifying). Default 600 000. */
  readonly jwksMaxAgeMs?: number;
  /** Timeout of every call to the issuer (discovery, JWKS, introspection). Default 5 000. */
  readonly httpTimeoutMs?: number;
  /** Verdicts kept (one per distinct token); the oldest go first. Default 10 000. */
  readonly verdictCacheSize?: number;
}

/**
 * Asymmetric JWS algorithms only. An HS* entry would let anyone holding the issuer's *public* key
 * (published at its JWKS) mint tokens in a library that accepts it as an HMAC secret; `none` needs
 * no key at all.
 */
const ACCEPTABLE_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

export function checkedAlgorithms(algorithms: readonly string[]): string[] {
  if (algorithms.length === 0) throw new ConfigError('auth.oauth.algorithms', 'must list at least one algorithm');
  for (const alg of algorithms) {
    if (!ACCEPTABLE_ALGORITHMS.has(alg)) {
      throw new ConfigError('auth.oauth.algorithms', `"${alg}" is not accepted: expected asymmetric JWS algorithms (${[...ACCEPTABLE_ALGORITHMS].join(', ')}); never none or HS*`);
    }
  }
  return [...new Set(algorithms)];
}

/**
 * Keys and tokens travel to and from these URLs: plain http would let anyone on the path swap the
 * issuer's keys. Loopback is allowed for development and tests.
 */
export function checkedIssuerUrl(key: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(key, `"${value}" is not an absolute URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url;
  throw new ConfigError(key, `"${value}" must use https (plain http only on loopback)`);
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

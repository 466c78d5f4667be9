import { ConfigError } from '../../config/config-error.js';
import { checkedIssuerUrl, type OAuthOptions } from './oauth-options.js';

/** RFC 9728 §3: the well-known segment, inserted between the host and the resource's path. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** The scopes that name every tool, resource and prompt (Grants' wildcard forms). */
const WILDCARD_SCOPES = ['tools:*', 'resources:*', 'prompts:*'];

/** RFC 9728 §2, the fields this server fills. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly bearer_methods_supported: readonly ['header'];
  readonly resource_name?: string;
}

export type ProtectedResourceMetadataOptions = Pick<OAuthOptions, 'issuer' | 'audience' | 'requiredScopes' | 'scopesSupported' | 'resourceName'>;

/**
 * The document served at `resourceMetadataPaths(audience)`. `resource` is the audience exactly as
 * configured: a client checks it against the URL it connected to and asks the issuer for a token
 * with it as the RFC 8707 `resource`, so it must be the same string tokens carry in `aud`.
 * `scopes_supported` is what a client requests when no challenge names a scope: the configured list,
 * else the required scopes plus the wildcard grants. Only the header carries tokens (no query or
 * form body, which end up in logs).
 */
export function protectedResourceMetadata(options: ProtectedResourceMetadataOptions): ProtectedResourceMetadata {
  checkedResourceUri('auth.oauth.audience', options.audience);
  return {
    resource: options.audience,
    authorization_servers: [options.issuer],
    scopes_supported: scopesSupported(options),
    bearer_methods_supported: ['header'],
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
  };
}

/**
 * What a client should ask the issuer for: `scopes_supported`, and the `scope=` of a 401 challenge.
 * Clients (the MCP SDK's among them) request exactly the challenge's scopes, so a 401 naming only
 * the required scopes would get them a token with no tool grants at all.
 */
export function scopesSupported(options: Pick<OAuthOptions, 'requiredScopes' | 'scopesSupported'>): string[] {
  return [...new Set(options.scopesSupported ?? [...options.requiredScopes, ...WILDCARD_SCOPES])];
}

/**
 * The metadata URL for `WWW-Authenticate: Bearer resource_metadata="…"`: for
 * `https://mcp.example.com/mcp` it is `https://mcp.example.com/.well-known/oauth-protected-resource/mcp`
 * (RFC 9728 §3.1; a resource at the root has no suffix).
 */
export function resourceMetadataUrl(audience: string): string {
  const url = checkedResourceUri('auth.oauth.audience', audience);
  return `${url.origin}${PROTECTED_RESOURCE_WELL_KNOWN}${pathSuffix(url)}`;
}

/**
 * The request paths to answer with the document: the path-suffixed one the header points at, and
 * the bare well-known path that clients of the 2025-06-18 revision (and root probing) try.
 */
export function resourceMetadataPaths(audience: string): string[] {
  const url = checkedResourceUri('auth.oauth.audience', audience);
  return [...new Set([`${PROTECTED_RESOURCE_WELL_KNOWN}${pathSuffix(url)}`, PROTECTED_RESOURCE_WELL_KNOWN])];
}

/** A canonical resource URI (RFC 8707 §2): absolute, https (http on loopback), no fragment. */
export function checkedResourceUri(key: string, value: string): URL {
  const url = checkedIssuerUrl(key, value);
  if (url.hash !== '' || value.includes('#')) throw new ConfigError(key, `"${value}" must not have a fragment`);
  if (url.search !== '') throw new ConfigError(key, `"${value}" must not have a query`);
  return url;
}

function pathSuffix(url: URL): string {
  return url.pathname === '/' ? '' : url.pathname;
}

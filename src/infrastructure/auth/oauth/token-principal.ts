import type { AuthOutcome } from '../../../application/ports/authenticator.js';
import { Grants } from '../../../domain/auth/grants.js';
import type { Principal } from '../../../domain/auth/principal.js';

export interface PrincipalPolicy {
  readonly requiredScopes: readonly string[];
  readonly tenantClaim?: string;
}

/** Subjects go into ids, events and logs: bounded, without control characters. */
const SUBJECT = /^[^\u0000-\u001f\u007f]{1,255}$/u;
const TENANT = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * The outcome for a token whose signature, issuer, audience and lifetime have been checked (by JWT
 * verification or introspection): the principal `oauth:<sub>` with grants from `scope` (RFC 9068)
 * or `scp` (the array some issuers use), or `forbidden` when a required scope is missing.
 * `client_id` stands in for a missing `sub`: client-credentials tokens from some issuers have none.
 */
export function outcomeForClaims(claims: Readonly<Record<string, unknown>>, policy: PrincipalPolicy): AuthOutcome {
  const subject = stringClaim(claims.sub) ?? stringClaim(claims.client_id);
  if (subject === undefined || !SUBJECT.test(subject)) {
    return { kind: 'rejected', error: 'invalid_token', reason: 'token has no usable subject (sub or client_id)' };
  }
  const scopes = scopesOf(claims);
  const held = new Set(scopes);
  const missing = policy.requiredScopes.filter((scope) => !held.has(scope));
  if (missing.length > 0) {
    // The challenge names what the token has plus what it lacks, so a client asking for exactly
    // that does not lose a permission it already holds (MCP authorization, scope challenges).
    return {
      kind: 'forbidden',
      scope: [...scopes, ...missing],
      reason: `token lacks the required scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}`,
    };
  }
  const exp = typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined;
  const tenant = policy.tenantClaim ? stringClaim(claims[policy.tenantClaim]) : undefined;
  const principal: Principal = {
    id: `oauth:${subject}`,
    kind: 'oauth',
    grants: Grants.fromScopes(scopes),
    ...(tenant !== undefined && TENANT.test(tenant) ? { tenant } : {}),
    ...(exp !== undefined ? { expiresAt: new Date(exp * 1000) } : {}),
  };
  return { kind: 'authenticated', principal: Object.freeze(principal) };
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function scopesOf(claims: Readonly<Record<string, unknown>>): string[] {
  const raw = typeof claims.scope === 'string' ? claims.scope.split(' ') : Array.isArray(claims.scp) ? claims.scp : typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
  const scopes = new Set<string>();
  for (const entry of raw) {
    if (typeof entry === 'string' && entry.length > 0) scopes.add(entry);
  }
  return [...scopes];
}

import { describe, expect, it } from '@jest/globals';
import { outcomeForClaims } from '../../../src/infrastructure/auth/oauth/token-principal.js';

const NONE = { requiredScopes: [] };

describe('outcomeForClaims', () => {
  it('sub and scope – oauth:<sub>, grants from the grant-shaped scopes only, expiresAt from exp', () => {
    const outcome = outcomeForClaims({ sub: 'alice', scope: 'openid tools:read_file resources:file', exp: 1_900_000_000 }, NONE);
    expect(outcome.kind).toBe('authenticated');
    if (outcome.kind !== 'authenticated') return;
    expect(outcome.principal).toMatchObject({ id: 'oauth:alice', kind: 'oauth', expiresAt: new Date(1_900_000_000_000) });
    expect(outcome.principal.grants.toJSON()).toEqual(['tools:read_file', 'resources:file']);
    expect(Object.isFrozen(outcome.principal)).toBe(true);
  });

  it('no sub – client_id stands in (client-credentials tokens of some issuers)', () => {
    expect(outcomeForClaims({ client_id: 'ci-bot', scope: 'tools:*' }, NONE)).toMatchObject({ kind: 'authenticated', principal: { id: 'oauth:ci-bot' } });
  });

  it.each([
    ['no sub and no client_id', {}],
    ['an empty sub', { sub: '' }],
    ['a sub with a newline (log forging)', { sub: 'alice\nlevel=admin' }],
    ['a sub over 255 characters', { sub: 'a'.repeat(256) }],
    ['a numeric sub', { sub: 42 }],
  ])('%s – rejected invalid_token', (_name, claims) => {
    expect(outcomeForClaims(claims, NONE)).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token has no usable subject (sub or client_id)' });
  });

  it('scp as an array or a string – grants too; non-strings in it ignored', () => {
    const fromArray = outcomeForClaims({ sub: 's', scp: ['tools:*', 7, null, 'prompts:*'] }, NONE);
    const fromString = outcomeForClaims({ sub: 's', scp: 'resources:*' }, NONE);
    expect(fromArray.kind === 'authenticated' && fromArray.principal.grants.toJSON()).toEqual(['tools:*', 'prompts:*']);
    expect(fromString.kind === 'authenticated' && fromString.principal.grants.toJSON()).toEqual(['resources:*']);
  });

  it('required scopes missing – forbidden with held ∪ missing, so stepping up loses nothing', () => {
    expect(outcomeForClaims({ sub: 's', scope: 'tools:* openid' }, { requiredScopes: ['mcp:use', 'mcp:audit', 'openid'] })).toEqual({
      kind: 'forbidden',
      scope: ['tools:*', 'openid', 'mcp:use', 'mcp:audit'],
      reason: 'token lacks the required scopes mcp:use mcp:audit',
    });
  });

  it('tenant claim – a safe string becomes the tenant; anything else is ignored, not trusted', () => {
    const policy = { requiredScopes: [], tenantClaim: 'org' };
    const tenantOf = (org: unknown) => {
      const outcome = outcomeForClaims({ sub: 's', org }, policy);
      return outcome.kind === 'authenticated' ? outcome.principal.tenant : 'not authenticated';
    };
    expect(tenantOf('acme-eu.1')).toBe('acme-eu.1');
    expect(tenantOf('acme\nx')).toBeUndefined();
    expect(tenantOf({ id: 'acme' })).toBeUndefined();
    expect(tenantOf(undefined)).toBeUndefined();
  });

  it('no exp (introspection answers may omit it) – no expiresAt', () => {
    const outcome = outcomeForClaims({ sub: 's' }, NONE);
    expect(outcome.kind === 'authenticated' && 'expiresAt' in outcome.principal).toBe(false);
  });
});

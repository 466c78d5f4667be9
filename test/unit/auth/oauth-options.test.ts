import { describe, expect, it } from '@jest/globals';
import { OAuthAuthenticator } from '../../../src/infrastructure/auth/oauth/oauth-authenticator.js';
import { checkedAlgorithms, type OAuthOptions } from '../../../src/infrastructure/auth/oauth/oauth-options.js';
import { discoveryUrls } from '../../../src/infrastructure/auth/oauth/issuer-discovery.js';
import { RecordingLogger } from '../../support/builders.js';

const VALID: OAuthOptions = { issuer: 'https://login.example.com', audience: 'https://mcp.example.com/mcp', requiredScopes: [], algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'], clockSkewS: 60 };

function construct(overrides: Partial<OAuthOptions>): () => OAuthAuthenticator {
  return () => new OAuthAuthenticator({ ...VALID, ...overrides }, { logger: new RecordingLogger() });
}

describe('OAuth options checked at construction', () => {
  it('the default algorithms – accepted, and constructing contacts nobody', () => {
    expect(construct({})).not.toThrow();
    expect(checkedAlgorithms(['RS256', 'RS256', 'ES256'])).toEqual(['RS256', 'ES256']);
  });

  it.each([['none'], ['HS256'], ['HS384'], ['HS512'], ['hs256'], ['RS1']])('algorithm %s – a ConfigError naming auth.oauth.algorithms', (alg) => {
    expect(construct({ algorithms: ['RS256', alg] })).toThrow(expect.objectContaining({ name: 'ConfigError', key: 'auth.oauth.algorithms' }));
  });

  it('no algorithm at all – a ConfigError', () => {
    expect(construct({ algorithms: [] })).toThrow(expect.objectContaining({ key: 'auth.oauth.algorithms' }));
  });

  it.each([
    ['issuer', { issuer: 'http://login.example.com' }, 'auth.oauth.issuer'],
    ['issuer', { issuer: 'login.example.com' }, 'auth.oauth.issuer'],
    ['jwks_url', { jwksUrl: 'http://login.example.com/jwks' }, 'auth.oauth.jwks_url'],
    ['introspection_url', { introspectionUrl: 'ftp://login.example.com/introspect', clientId: 'c' }, 'auth.oauth.introspection_url'],
    ['audience', { audience: 'https://mcp.example.com/mcp#frag' }, 'auth.oauth.audience'],
  ])('%s not https (or not a URL) – a ConfigError naming the key', (_name, overrides, key) => {
    expect(construct(overrides as Partial<OAuthOptions>)).toThrow(expect.objectContaining({ name: 'ConfigError', key }));
  });

  it('http on loopback (127.0.0.1, localhost, [::1]) – allowed for the issuer and its endpoints', () => {
    for (const host of ['127.0.0.1:9000', 'localhost:9000', '[::1]:9000']) {
      expect(construct({ issuer: `http://${host}`, jwksUrl: `http://${host}/jwks` })).not.toThrow();
    }
  });

  it('introspection without a client id or secret – a ConfigError naming the missing key', () => {
    expect(construct({ introspectionUrl: 'https://login.example.com/introspect' })).toThrow(expect.objectContaining({ key: 'auth.oauth.client_id' }));
    expect(construct({ introspectionUrl: 'https://login.example.com/introspect', clientId: 'mcp' })).toThrow(expect.objectContaining({ key: 'auth.oauth.client_secret_file' }));
  });
});

describe('discoveryUrls', () => {
  it('an issuer at the root – RFC 8414 then OpenID Connect discovery', () => {
    expect(discoveryUrls('https://login.example.com')).toEqual(['https://login.example.com/.well-known/oauth-authorization-server', 'https://login.example.com/.well-known/openid-configuration']);
  });

  it('an issuer with a path – RFC 8414 inserts the well-known segment, OIDC appends it', () => {
    expect(discoveryUrls('https://login.example.com/realms/acme/')).toEqual([
      'https://login.example.com/.well-known/oauth-authorization-server/realms/acme',
      'https://login.example.com/realms/acme/.well-known/openid-configuration',
    ]);
  });
});

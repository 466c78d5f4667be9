import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthOutcome, Credentials } from '../../../src/application/ports/authenticator.js';
import { OAuthAuthenticator } from '../../../src/infrastructure/auth/oauth/oauth-authenticator.js';
import type { OAuthOptions } from '../../../src/infrastructure/auth/oauth/oauth-options.js';
import { RecordingLogger } from '../../support/builders.js';
import { FixedClock } from '../../support/fixed-clock.js';
import { startOidcProvider, type TestOidcProvider } from '../../support/oidc-provider.js';

/**
 * OAuthAuthenticator against a real oidc-provider on loopback: tokens from its token endpoint and
 * hostile ones signed with its real keys; keys discovered and fetched over HTTP, never stubbed.
 */
const SCOPES = ['tools:*', 'resources:*', 'prompts:*', 'mcp:use'];

let idp: TestOidcProvider;
const opened: OAuthAuthenticator[] = [];

beforeAll(async () => {
  idp = await startOidcProvider({ scopes: SCOPES });
});

afterAll(async () => {
  await idp.stop();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((authenticator) => authenticator.close()));
});

function authenticatorFor(provider: TestOidcProvider, overrides: Partial<OAuthOptions> = {}, logger = new RecordingLogger()): OAuthAuthenticator {
  const authenticator = new OAuthAuthenticator(
    { issuer: provider.issuer, audience: provider.resource, requiredScopes: [], algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'], clockSkewS: 60, ...overrides },
    { logger },
  );
  opened.push(authenticator);
  return authenticator;
}

function bearer(token: string): Credentials {
  return { authorization: [`Bearer ${token}`], apiKey: [] };
}

function principalOf(outcome: AuthOutcome) {
  if (outcome.kind !== 'authenticated') throw new Error(`expected authenticated, got ${JSON.stringify(outcome)}`);
  return outcome.principal;
}

describe('OAuthAuthenticator with a real OpenID provider', () => {
  it('valid client-credentials token – principal oauth:<sub> with the token scopes as grants, expiring with the token', async () => {
    const authenticator = authenticatorFor(idp);
    const token = await idp.token({ scope: 'tools:* mcp:use' });
    const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp as number;

    const principal = principalOf(await authenticator.authenticate(bearer(token)));

    expect(principal.id).toBe(`oauth:${idp.client.id}`);
    expect(principal.kind).toBe('oauth');
    expect(principal.grants.allowsTool('read_file')).toBe(true);
    expect(principal.grants.allowsResource('file:///etc/hosts')).toBe(false);
    expect(principal.grants.toJSON()).toEqual(['tools:*']);
    expect(principal.expiresAt?.getTime()).toBe(exp * 1000);
  });

  it('discovery – jwks_uri comes from the issuer\'s RFC 8414 document, fetched once', async () => {
    const authenticator = authenticatorFor(idp);
    const before = { metadata: idp.requests('/.well-known/oauth-authorization-server'), jwks: idp.requests('/jwks') };

    principalOf(await authenticator.authenticate(bearer(await idp.token())));
    principalOf(await authenticator.authenticate(bearer(await idp.token())));

    expect(idp.requests('/.well-known/oauth-authorization-server') - before.metadata).toBe(1);
    expect(idp.requests('/jwks') - before.jwks).toBe(1);
  });

  it('configured jwks_url – no discovery request at all', async () => {
    const authenticator = authenticatorFor(idp, { jwksUrl: idp.jwksUrl });
    const before = idp.requests('/.well-known/oauth-authorization-server') + idp.requests('/.well-known/openid-configuration');

    principalOf(await authenticator.authenticate(bearer(await idp.token())));

    expect(idp.requests('/.well-known/oauth-authorization-server') + idp.requests('/.well-known/openid-configuration')).toBe(before);
  });

  it('expired token (signed with the real key) – rejected invalid_token', async () => {
    const outcome = await authenticatorFor(idp).authenticate(bearer(await idp.mint.expired()));
    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token has expired' });
  });

  it('expired token issued by the provider itself (1 s lifetime, no skew) – rejected once it lapses', async () => {
    const shortLived = await startOidcProvider({ scopes: SCOPES, accessTokenTtlS: 1 });
    try {
      const authenticator = authenticatorFor(shortLived, { clockSkewS: 0 });
      const token = await shortLived.token();
      principalOf(await authenticator.authenticate(bearer(token)));
      await new Promise((resolve) => setTimeout(resolve, 2_100));

      const outcome = await authenticator.authenticate(bearer(token));

      expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token has expired' });
    } finally {
      await shortLived.stop();
    }
  });

  it('not yet valid (nbf an hour ahead) – rejected invalid_token', async () => {
    const outcome = await authenticatorFor(idp).authenticate(bearer(await idp.mint.notYetValid()));
    expect(outcome).toMatchObject({ kind: 'rejected', error: 'invalid_token', reason: 'token is not valid yet (nbf)' });
  });

  it('wrong audience: a real token issued for another resource – rejected, and no key is fetched for it', async () => {
    const authenticator = authenticatorFor(idp);
    const token = await idp.token({ resource: 'https://other.test/api' });
    const jwksBefore = idp.requests('/jwks');

    const outcome = await authenticator.authenticate(bearer(token));

    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token audience is not this server' });
    expect(idp.requests('/jwks')).toBe(jwksBefore);
  });

  it('wrong audience: minted with the real key – rejected', async () => {
    const outcome = await authenticatorFor(idp).authenticate(bearer(await idp.mint.wrongAudience()));
    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token audience is not this server' });
  });

  it('wrong issuer, signed with the real key – rejected', async () => {
    const outcome = await authenticatorFor(idp).authenticate(bearer(await idp.mint.wrongIssuer()));
    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token issuer is not the configured issuer' });
  });

  it('issuer that differs only by a trailing slash – rejected (exact match)', async () => {
    const outcome = await authenticatorFor(idp).authenticate(bearer(await idp.mint.signed({ iss: `${idp.issuer}/` })));
    expect(outcome).toMatchObject({ kind: 'rejected', reason: 'token issuer is not the configured issuer' });
  });

  it('alg none – rejected before any key lookup', async () => {
    const authenticator = authenticatorFor(idp);
    const jwksBefore = idp.requests('/jwks');

    const outcome = await authenticator.authenticate(bearer(idp.mint.algNone()));

    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token algorithm "none" is not accepted' });
    expect(idp.requests('/jwks')).toBe(jwksBefore);
  });

  it('HS256 signed with the issuer\'s public key as the HMAC secret – rejected', async () => {
    const outcome = await authenticatorFor(idp).authenticate(bearer(await idp.mint.hs256WithPublicKey()));
    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token algorithm "HS256" is not accepted' });
  });

  it('an accepted algorithm the allow-list does not name (RS256 when only ES256 is configured) – rejected', async () => {
    const outcome = await authenticatorFor(idp, { algorithms: ['ES256'] }).authenticate(bearer(await idp.token()));
    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token algorithm "RS256" is not accepted' });
  });

  it('a tampered payload (scope widened after signing) – rejected: the signature does not verify', async () => {
    const token = await idp.token({ scope: 'tools:*' });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'tools:* resources:* prompts:*' })).toString('base64url');

    const outcome = await authenticatorFor(idp).authenticate(bearer(`${header}.${widened}.${signature}`));

    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token signature does not verify' });
  });

  it('unknown kid, then the issuer rotates to that key – accepted after the JWKS is refetched', async () => {
    const authenticator = authenticatorFor(idp, { jwksCooldownMs: 0 });
    principalOf(await authenticator.authenticate(bearer(await idp.token())));
    const early = await idp.mint.signed({}, { key: 'next' });
    const jwksBefore = idp.requests('/jwks');

    const unknown = await authenticator.authenticate(bearer(early));
    expect(unknown).toMatchObject({ kind: 'rejected', error: 'invalid_token', reason: 'no signing key of the issuer matches the token (unknown kid)' });
    expect(idp.requests('/jwks')).toBe(jwksBefore + 1);

    const rotatedTo = await idp.rotateKeys();
    expect(rotatedTo).not.toBeUndefined();
    principalOf(await authenticator.authenticate(bearer(early)));
    expect(idp.requests('/jwks')).toBe(jwksBefore + 2);

    const issuedAfter = await idp.token();
    expect(JSON.parse(Buffer.from(issuedAfter.split('.')[0], 'base64url').toString()).kid).toBe(rotatedTo);
    principalOf(await authenticator.authenticate(bearer(issuedAfter)));
    expect(idp.requests('/jwks')).toBe(jwksBefore + 2);
  });

  it('unknown kids within the cooldown – one JWKS fetch in all, however many made-up kids arrive', async () => {
    const authenticator = authenticatorFor(idp, { jwksCooldownMs: 60_000 });
    const jwksBefore = idp.requests('/jwks');
    principalOf(await authenticator.authenticate(bearer(await idp.token())));

    for (let i = 0; i < 20; i += 1) {
      const outcome = await authenticator.authenticate(bearer(await idp.mint.unknownKid()));
      expect(outcome).toMatchObject({ kind: 'rejected', reason: 'no signing key of the issuer matches the token (unknown kid)' });
    }

    expect(idp.requests('/jwks')).toBe(jwksBefore + 1);
  });

  it('missing required scope – forbidden, naming the scopes held and the one lacking', async () => {
    const authenticator = authenticatorFor(idp, { requiredScopes: ['mcp:use'] });

    const outcome = await authenticator.authenticate(bearer(await idp.token({ scope: 'tools:*' })));

    expect(outcome).toEqual({ kind: 'forbidden', scope: ['tools:*', 'mcp:use'], reason: 'token lacks the required scope mcp:use' });
    principalOf(await authenticator.authenticate(bearer(await idp.token({ scope: 'tools:* mcp:use' }))));
  });

  it('tenant from the configured claim; scp arrays (other issuers\' form) become grants', async () => {
    const authenticator = authenticatorFor(idp, { tenantClaim: 'org' });
    const token = await idp.mint.signed({ org: 'acme', scope: undefined, scp: ['tools:read_file', 'prompts:*'] });

    const principal = principalOf(await authenticator.authenticate(bearer(token)));

    expect(principal.tenant).toBe('acme');
    expect(principal.grants.toJSON()).toEqual(['tools:read_file', 'prompts:*']);
  });

  it('no exp – rejected: a token without an expiry could be cached forever', async () => {
    const outcome = await authenticatorFor(idp).authenticate(bearer(await idp.mint.signed({ exp: undefined })));
    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token claim "exp" is missing' });
  });

  it('ES256 issuer – its tokens verify too', async () => {
    const ec = await startOidcProvider({ scopes: SCOPES, alg: 'ES256' });
    try {
      principalOf(await authenticatorFor(ec).authenticate(bearer(await ec.token())));
    } finally {
      await ec.stop();
    }
  });
});

describe('OAuthAuthenticator header hostility (real provider configured, never contacted)', () => {
  let authenticator: OAuthAuthenticator;
  let requestsBefore: number;

  beforeAll(() => {
    requestsBefore = idp.requests('/jwks') + idp.requests('/.well-known/oauth-authorization-server');
  });

  afterAll(() => {
    expect(idp.requests('/jwks') + idp.requests('/.well-known/oauth-authorization-server')).toBe(requestsBefore);
  });

  beforeEach(() => {
    authenticator = authenticatorFor(idp);
  });

  it('two Authorization headers – rejected invalid_request, even when both are valid tokens', async () => {
    const token = await idp.token();
    const outcome = await authenticator.authenticate({ authorization: [`Bearer ${token}`, `Bearer ${token}`], apiKey: [] });
    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_request', reason: 'more than one Authorization header' });
  });

  it('a 20 KiB token – rejected invalid_request without parsing', async () => {
    const huge = `${'a'.repeat(10 * 1024)}.${'b'.repeat(10 * 1024)}.c`;
    const outcome = await authenticator.authenticate(bearer(huge));
    expect(outcome).toMatchObject({ kind: 'rejected', error: 'invalid_request', reason: expect.stringContaining('longer than') });
  });

  it('non-ASCII in the header – rejected invalid_request, and the reason does not echo it', async () => {
    const token = await idp.token();
    const outcome = await authenticator.authenticate(bearer(`${token}é`));
    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_request', reason: 'Authorization header has characters outside printable ASCII' });
  });

  it('no header, another scheme, or an opaque token with introspection off – absent (another authenticator may claim it)', async () => {
    expect(await authenticator.authenticate({ authorization: [], apiKey: ['k'] })).toEqual({ kind: 'absent' });
    expect(await authenticator.authenticate({ authorization: ['Basic dXNlcjpwdw=='], apiKey: [] })).toEqual({ kind: 'absent' });
    expect(await authenticator.authenticate(bearer('tfo_0123456789abcdef'))).toEqual({ kind: 'absent' });
  });
});

describe('OAuthAuthenticator verdict cache', () => {
  it('one token verified 500 times – decided once: with a key set that never stays fresh, the JWKS is still fetched once', async () => {
    // jwksMaxAgeMs 0 makes jose refetch the JWKS on every verification it does, so one fetch means one verification.
    const authenticator = authenticatorFor(idp, { jwksMaxAgeMs: 0 });
    const token = await idp.token();
    const before = { jwks: idp.requests('/jwks'), metadata: idp.requests('/.well-known/oauth-authorization-server') };

    for (let i = 0; i < 500; i += 1) principalOf(await authenticator.authenticate(bearer(token)));

    expect(idp.requests('/jwks') - before.jwks).toBe(1);
    expect(idp.requests('/.well-known/oauth-authorization-server') - before.metadata).toBe(1);
    expect(authenticator.cachedVerdicts).toBe(1);
  });

  it('50 concurrent first uses of a token – one verification, one JWKS fetch, the same principal', async () => {
    const authenticator = authenticatorFor(idp);
    const token = await idp.token();
    const jwksBefore = idp.requests('/jwks');

    const outcomes = await Promise.all(Array.from({ length: 50 }, () => authenticator.authenticate(bearer(token))));

    expect(idp.requests('/jwks') - jwksBefore).toBe(1);
    expect(new Set(outcomes.map((outcome) => principalOf(outcome))).size).toBe(1);
  });

  it('many distinct tokens of the same key – still one JWKS fetch', async () => {
    const authenticator = authenticatorFor(idp);
    const jwksBefore = idp.requests('/jwks');

    for (let i = 0; i < 10; i += 1) principalOf(await authenticator.authenticate(bearer(await idp.token())));

    expect(idp.requests('/jwks') - jwksBefore).toBe(1);
    expect(authenticator.cachedVerdicts).toBe(10);
  });

  it('a refused token is remembered too – replaying it costs no key lookup', async () => {
    const authenticator = authenticatorFor(idp, { jwksUrl: idp.jwksUrl });
    const forged = await idp.token().then((token) => `${token.slice(0, -4)}AAAA`);
    const jwksBefore = idp.requests('/jwks');

    for (let i = 0; i < 20; i += 1) expect(await authenticator.authenticate(bearer(forged))).toMatchObject({ kind: 'rejected', error: 'invalid_token' });

    expect(idp.requests('/jwks') - jwksBefore).toBe(1);
  });
});

describe('OAuthAuthenticator when the issuer is unreachable', () => {
  it('unavailable (not rejected), warned once, and a token it already verified keeps working', async () => {
    const doomed = await startOidcProvider({ scopes: SCOPES });
    const logger = new RecordingLogger();
    const authenticator = authenticatorFor(doomed, { jwksCooldownMs: 0, httpTimeoutMs: 1_000 }, logger);
    const known = await doomed.token();
    principalOf(await authenticator.authenticate(bearer(known)));
    // A kid the cached key set lacks forces a refetch, which now finds nobody.
    const unseenKid = await doomed.mint.signed({}, { key: 'next' });
    await doomed.stop();

    principalOf(await authenticator.authenticate(bearer(known)));
    expect(await authenticator.authenticate(bearer(unseenKid))).toMatchObject({ kind: 'unavailable' });
    expect(await authenticator.authenticate(bearer(unseenKid))).toMatchObject({ kind: 'unavailable' });
    expect(logger.at('warn')).toHaveLength(1);
    expect(logger.text()).not.toContain(unseenKid.split('.')[2]);
  });

  it('discovery answered 503 – unavailable, tried again only after the cooldown', async () => {
    const hits: string[] = [];
    const broken = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    try {
      const issuer = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
      const clock = new FixedClock(new Date());
      const authenticator = new OAuthAuthenticator(
        { issuer, audience: idp.resource, requiredScopes: [], algorithms: ['RS256'], clockSkewS: 60, jwksCooldownMs: 30_000, httpTimeoutMs: 1_000 },
        { logger: new RecordingLogger(), clock },
      );
      opened.push(authenticator);
      const token = (await idp.mint.signed({ iss: issuer }));
      const again = (await idp.mint.signed({ iss: issuer }));

      expect(await authenticator.authenticate(bearer(token))).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('HTTP 503') });
      expect(hits).toEqual(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']);
      clock.advance(29_000);
      expect(await authenticator.authenticate(bearer(again))).toMatchObject({ kind: 'unavailable' });
      expect(hits).toHaveLength(2);
      clock.advance(2_000);
      expect(await authenticator.authenticate(bearer(again))).toMatchObject({ kind: 'unavailable' });
      expect(hits).toHaveLength(4);
    } finally {
      await new Promise((resolve) => broken.close(resolve));
    }
  });
});

describe('OAuthAuthenticator never reveals a token', () => {
  it('no outcome and no log line carries the token, whatever the verdict', async () => {
    const logger = new RecordingLogger();
    const authenticator = authenticatorFor(idp, { requiredScopes: ['mcp:use'] }, logger);
    const tokens = [await idp.token({ scope: 'tools:* mcp:use' }), await idp.token({ scope: 'tools:*' }), await idp.mint.expired(), idp.mint.algNone(), await idp.mint.hs256WithPublicKey()];

    for (const token of tokens) {
      const outcome = JSON.stringify(await authenticator.authenticate(bearer(token)));
      for (const part of token.split('.').filter((segment) => segment.length > 8)) expect(outcome).not.toContain(part);
    }
    for (const part of tokens.flatMap((token) => token.split('.')).filter((segment) => segment.length > 8)) expect(logger.text()).not.toContain(part);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuthOutcome, Credentials } from '../../../src/application/ports/authenticator.js';
import { ConfigError } from '../../../src/infrastructure/config/config-error.js';
import { OAuthAuthenticator } from '../../../src/infrastructure/auth/oauth/oauth-authenticator.js';
import type { OAuthOptions } from '../../../src/infrastructure/auth/oauth/oauth-options.js';
import { RecordingLogger } from '../../support/builders.js';
import { FixedClock } from '../../support/fixed-clock.js';
import { startOidcProvider, type TestOidcProvider } from '../../support/oidc-provider.js';

/** Opaque access tokens through a real oidc-provider's RFC 7662 introspection endpoint. */
let idp: TestOidcProvider;
let dir: string;
let secretFile: string;
const opened: OAuthAuthenticator[] = [];

beforeAll(async () => {
  idp = await startOidcProvider({ scopes: ['tools:*', 'resources:*', 'prompts:*', 'mcp:use'], accessTokenFormat: 'opaque' });
  dir = await mkdtemp(path.join(tmpdir(), 'tfo-oauth-'));
  secretFile = path.join(dir, 'client-secret');
  await writeFile(secretFile, `${idp.resourceServer.secret}\n`, { mode: 0o600 });
});

afterAll(async () => {
  await idp.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((authenticator) => authenticator.close()));
});

function options(overrides: Partial<OAuthOptions> = {}): OAuthOptions {
  return {
    issuer: idp.issuer,
    audience: idp.resource,
    requiredScopes: [],
    algorithms: ['RS256'],
    clockSkewS: 60,
    introspectionUrl: idp.introspectionEndpoint,
    clientId: idp.resourceServer.id,
    clientSecretFile: secretFile,
    ...overrides,
  };
}

async function authenticatorWith(overrides: Partial<OAuthOptions> = {}, clock = new FixedClock(new Date()), logger = new RecordingLogger()): Promise<OAuthAuthenticator> {
  const authenticator = await OAuthAuthenticator.create(options(overrides), { logger, clock });
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

describe('OAuthAuthenticator with token introspection (RFC 7662)', () => {
  it('an active opaque token for this server – principal from the introspection answer', async () => {
    const authenticator = await authenticatorWith();
    const token = await idp.token({ scope: 'tools:* mcp:use' });
    expect(token.split('.')).toHaveLength(1);

    const principal = principalOf(await authenticator.authenticate(bearer(token)));

    expect(principal.id).toBe(`oauth:${idp.client.id}`);
    expect(principal.grants.toJSON()).toEqual(['tools:*']);
    expect(principal.expiresAt).toBeInstanceOf(Date);
  });

  it('an opaque token issued for another resource – rejected: its aud is not this server', async () => {
    const authenticator = await authenticatorWith();
    const outcome = await authenticator.authenticate(bearer(await idp.token({ resource: 'https://other.test/api' })));
    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token audience is not this server' });
  });

  it('a made-up token – rejected as not active', async () => {
    const authenticator = await authenticatorWith();
    const outcome = await authenticator.authenticate(bearer('made-up-opaque-token-0123456789'));
    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token is not active (introspection)' });
  });

  it('missing required scope – forbidden', async () => {
    const authenticator = await authenticatorWith({ requiredScopes: ['mcp:use'] });
    const outcome = await authenticator.authenticate(bearer(await idp.token({ scope: 'tools:*' })));
    expect(outcome).toMatchObject({ kind: 'forbidden', scope: ['tools:*', 'mcp:use'] });
  });

  it('revocation at the issuer – the cached verdict holds for introspection_cache_s, then the token is refused', async () => {
    const clock = new FixedClock(new Date());
    const authenticator = await authenticatorWith({ introspectionCacheS: 30 }, clock);
    const token = await idp.token();
    principalOf(await authenticator.authenticate(bearer(token)));
    const introspections = idp.requests('/token/introspection');

    await idp.revoke(token);
    clock.advance(29_000);
    principalOf(await authenticator.authenticate(bearer(token)));
    expect(idp.requests('/token/introspection')).toBe(introspections);

    clock.advance(2_000);
    expect(await authenticator.authenticate(bearer(token))).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'token is not active (introspection)' });
    expect(idp.requests('/token/introspection')).toBe(introspections + 1);
  });

  it('a wrong client secret – unavailable (the issuer refused us, not the caller), and the secret is never logged', async () => {
    const wrong = path.join(dir, 'wrong-secret');
    await writeFile(wrong, 'not-the-secret-at-all', { mode: 0o600 });
    const logger = new RecordingLogger();
    const authenticator = await authenticatorWith({ clientSecretFile: wrong }, new FixedClock(new Date()), logger);
    const token = await idp.token();

    const outcome = await authenticator.authenticate(bearer(token));

    expect(outcome).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('HTTP 401') });
    expect(logger.text()).not.toContain('not-the-secret-at-all');
    expect(logger.text()).not.toContain(token);
  });

  it('JWT-shaped tokens still go to JWT verification, never to introspection', async () => {
    const authenticator = await authenticatorWith();
    const introspections = idp.requests('/token/introspection');

    const outcome = await authenticator.authenticate(bearer(idp.mint.algNone()));

    expect(outcome).toMatchObject({ kind: 'rejected', reason: 'token algorithm "none" is not accepted' });
    expect(idp.requests('/token/introspection')).toBe(introspections);
  });

  it('create() – a missing or empty secret file is a ConfigError naming auth.oauth.client_secret_file', async () => {
    const empty = path.join(dir, 'empty-secret');
    await writeFile(empty, '\n');
    await expect(OAuthAuthenticator.create(options({ clientSecretFile: path.join(dir, 'absent') }), { logger: new RecordingLogger() })).rejects.toMatchObject({
      name: 'ConfigError',
      key: 'auth.oauth.client_secret_file',
    });
    await expect(OAuthAuthenticator.create(options({ clientSecretFile: empty }), { logger: new RecordingLogger() })).rejects.toBeInstanceOf(ConfigError);
    await expect(OAuthAuthenticator.create(options({ clientId: undefined }), { logger: new RecordingLogger() })).rejects.toMatchObject({ key: 'auth.oauth.client_id' });
  });
});

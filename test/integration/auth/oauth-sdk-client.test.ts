import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientCredentialsProvider, withOAuth } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuthOutcome } from '../../../src/application/ports/authenticator.js';
import { OAuthAuthenticator } from '../../../src/infrastructure/auth/oauth/oauth-authenticator.js';
import { protectedResourceMetadata, resourceMetadataPaths, resourceMetadataUrl, scopesSupported } from '../../../src/infrastructure/auth/oauth/protected-resource-metadata.js';
import { wwwAuthenticate } from '../../../src/infrastructure/auth/oauth/www-authenticate.js';
import { RecordingLogger } from '../../support/builders.js';
import { startOidcProvider, type TestOidcProvider } from '../../support/oidc-provider.js';

/**
 * The three OAuth pieces wired the way the HTTP transport is meant to wire them (metadata at the
 * well-known paths, 401/403 challenges, the authenticator on the endpoint), driven by the MCP SDK
 * client's own OAuth support (ClientCredentialsProvider + withOAuth) against a real oidc-provider:
 * the client must find the issuer from our challenge and metadata alone.
 */
let idp: TestOidcProvider;
let server: Server;
let audience: string;
let authenticator: OAuthAuthenticator;
const seen: string[] = [];

function status(outcome: AuthOutcome): number {
  switch (outcome.kind) {
    case 'authenticated':
      return 200;
    case 'absent':
    case 'rejected':
      return outcome.kind === 'rejected' && outcome.error === 'invalid_request' ? 400 : 401;
    case 'forbidden':
      return 403;
    case 'unavailable':
      return 503;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, requiredScopes: readonly string[]): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  seen.push(`${req.method} ${path}`);
  if (req.method === 'GET' && resourceMetadataPaths(audience).includes(path)) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(protectedResourceMetadata({ issuer: idp.issuer, audience, requiredScopes })));
    return;
  }
  const outcome = await authenticator.authenticate({ authorization: req.headersDistinct.authorization ?? [], apiKey: req.headersDistinct['x-api-key'] ?? [] });
  const metadata = resourceMetadataUrl(audience);
  if (outcome.kind === 'authenticated') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: outcome.principal.id, grants: outcome.principal.grants.toJSON() }));
    return;
  }
  const challenge =
    outcome.kind === 'forbidden'
      ? wwwAuthenticate({ resourceMetadataUrl: metadata, error: 'insufficient_scope', scope: outcome.scope, description: outcome.reason })
      : outcome.kind === 'rejected'
        ? wwwAuthenticate({ resourceMetadataUrl: metadata, error: outcome.error, description: outcome.reason })
        : wwwAuthenticate({ resourceMetadataUrl: metadata, scope: scopesSupported({ requiredScopes }) });
  res.writeHead(status(outcome), { 'www-authenticate': challenge }).end();
}

beforeAll(async () => {
  idp = await startOidcProvider({ scopes: ['tools:*', 'resources:*', 'prompts:*', 'mcp:use'] });
  const requiredScopes = ['mcp:use'];
  server = createServer((req, res) => {
    handle(req, res, requiredScopes).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  audience = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  authenticator = new OAuthAuthenticator(
    { issuer: idp.issuer, audience, requiredScopes, algorithms: ['RS256'], clockSkewS: 60 },
    { logger: new RecordingLogger() },
  );
});

afterAll(async () => {
  await authenticator.close();
  await new Promise((resolve) => server.close(resolve));
  await idp.stop();
});

describe('OAuth resource server driven by the MCP SDK client', () => {
  it('ClientCredentialsProvider – 401, discovers the issuer through our metadata, gets a token for our audience with the challenge\'s scopes, and is let in', async () => {
    const provider = new ClientCredentialsProvider({ clientId: idp.client.id, clientSecret: idp.client.secret, expectedIssuer: idp.issuer });
    const oauthFetch = withOAuth(provider, audience)(fetch);

    const response = await oauthFetch(audience, { method: 'POST', body: '{}' });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: `oauth:${idp.client.id}`, grants: ['tools:*', 'resources:*', 'prompts:*'] });
    expect(seen).toContain('GET /.well-known/oauth-protected-resource/mcp');
    const token = provider.tokens()?.access_token ?? '';
    expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())).toMatchObject({ aud: audience, iss: idp.issuer, scope: expect.stringContaining('mcp:use') });
  });

  it('a token without the required scope – 403 whose challenge the client reads as insufficient_scope with the scopes to ask for', async () => {
    const token = await idp.token({ resource: audience, scope: 'tools:*' });

    const response = await fetch(audience, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });

    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${resourceMetadataUrl(audience)}", error="insufficient_scope", scope="tools:* mcp:use", error_description="token lacks the required scope mcp:use"`,
    );
  });

  it('no token – 401 naming the metadata and the scopes to ask for; the metadata document names our issuer', async () => {
    const response = await fetch(audience, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${resourceMetadataUrl(audience)}", scope="mcp:use tools:* resources:* prompts:*"`);

    const metadata = await (await fetch(resourceMetadataUrl(audience))).json();
    expect(metadata).toMatchObject({ resource: audience, authorization_servers: [idp.issuer], bearer_methods_supported: ['header'] });
  });
});

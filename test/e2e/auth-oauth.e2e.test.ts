import { Client as ClientV2, ClientCredentialsProvider as ClientCredentialsV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { answerOf, authEnv, bearer, mustOpenSession, postWith, sessionRequest, statelessRequest, testApiKey, toolNames, xApiKey, type TestApiKey } from '../support/auth-http.js';
import { freeLoopbackPort, startHttpServer, type HttpServer } from '../support/http-server.js';
import { sleep } from '../support/infra-services.js';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { createTempWorkspace, type TempWorkspace } from '../support/spawn-server.js';

/**
 * OAuth 2.1 resource server through the built server, against a real OpenID Connect provider on
 * loopback (oidc-provider, client-credentials JWT access tokens for this server's resource URI):
 * the 401 challenge and RFC 9728 metadata a client discovers the issuer from, the SDK clients'
 * own OAuth support (2025 sessions and 2026-07-28), the hostile-token table, scopes as grants,
 * a 503 while the issuer cannot be reached, and a key rotation picked up through the JWKS.
 */
const SCOPES = ['tools:*', 'resources:*', 'prompts:*', 'mcp:use', 'tools:echo'];
/** The authenticator does not refetch the JWKS within this of its last fetch (tokens with made-up kids cannot make it hammer the issuer). */
const JWKS_COOLDOWN_MS = 30_000;

let idp: TestOidcProvider;
let server: HttpServer;
let audience: string;
let metadataUrl: string;
let ws: TempWorkspace;
let key: TestApiKey;
let firstJwksFetchAt: number | undefined;

beforeAll(async () => {
  ws = await createTempWorkspace('tfo-auth-oauth-');
  const port = await freeLoopbackPort();
  audience = `http://127.0.0.1:${port}/mcp`;
  metadataUrl = `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`;
  idp = await startOidcProvider({ resource: audience, scopes: SCOPES });
  key = await testApiKey('ci', ['tools:echo']);
  server = await startHttpServer({
    ...authEnv([key], { issuer: idp.issuer, audience, requiredScopes: ['mcp:use'] }),
    TELEMETRYFLOW_MCP_SERVER__HTTP__PORT: String(port),
    TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
  });
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await idp?.stop();
  await ws?.cleanup();
});

/** A valid token, noting when the server first fetched the JWKS (the rotation test waits out the cooldown from there). */
async function call(token: string, method = 'tools/list', params: Record<string, unknown> = {}) {
  const response = await statelessRequest(server.url, bearer(token), method, params);
  if (firstJwksFetchAt === undefined && idp.requests('/jwks') > 0) firstJwksFetchAt = Date.now();
  return response;
}

describe('discovery: the challenge and the protected-resource metadata', () => {
  it('no credential – 401 naming the metadata URL and the scopes to ask for', async () => {
    const response = await postWith(server.url, '{}', {});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}", scope="mcp:use tools:* resources:* prompts:*"`);
    expect(answerOf(response).error).toMatchObject({ data: { code: 'auth.required' } });
  });

  it('the metadata – public (no credential) at the path-suffixed and the bare well-known path; names the issuer and this audience; CORS for an allowed origin', async () => {
    for (const url of [metadataUrl, `${server.base}/.well-known/oauth-protected-resource`]) {
      const response = await fetch(url, { headers: { Origin: 'http://localhost:6274' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
      expect(await response.json()).toEqual({
        resource: audience,
        authorization_servers: [idp.issuer],
        scopes_supported: ['mcp:use', 'tools:*', 'resources:*', 'prompts:*'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('a browser preflight – Authorization and X-API-Key allowed; a 401 exposes WWW-Authenticate to the page', async () => {
    const preflight = await fetch(server.url, { method: 'OPTIONS', headers: { Origin: 'http://localhost:6274', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization.*X-API-Key/);
    const refused = await postWith(server.url, '{}', { Origin: 'http://localhost:6274' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
  });
});

describe('the SDK clients\' own OAuth support', () => {
  it('SDK v1 client, ClientCredentialsProvider (scope configured: v1 sends its own, not the challenge\'s), 2025 session – 401, metadata, a token for this audience, then served', async () => {
    const provider = new ClientCredentialsProvider({ clientId: idp.client.id, clientSecret: idp.client.secret, expectedIssuer: idp.issuer, scope: 'mcp:use tools:*' });
    const client = new Client({ name: 'oauth-e2e-v1', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider }));
    try {
      const result = await client.callTool({ name: 'echo', arguments: { message: 'oauth v1' } });
      expect((result.content as { text: string }[])[0]?.text).toBe('oauth v1');
      const claims = JSON.parse(Buffer.from(provider.tokens()!.access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(claims).toMatchObject({ aud: audience, iss: idp.issuer, scope: expect.stringContaining('mcp:use') });
    } finally {
      await client.close();
    }
    firstJwksFetchAt ??= Date.now();
  });

  it('SDK v2 client, ClientCredentialsProvider (no scope configured) – asks for the challenge\'s scopes and is served', async () => {
    const provider = new ClientCredentialsV2({ clientId: idp.client.id, clientSecret: idp.client.secret, expectedIssuer: idp.issuer });
    const client = new ClientV2({ name: 'oauth-e2e-v2', version: '1.0.0' });
    await client.connect(new TransportV2(new URL(server.url), { authProvider: provider }));
    try {
      const result = await client.callTool({ name: 'echo', arguments: { message: 'oauth v2' } });
      expect((result.content as { text: string }[])[0]?.text).toBe('oauth v2');
    } finally {
      await client.close();
    }
  });

  it('an API key beside OAuth – still let in (keys are tried first), with its own grants', async () => {
    expect(toolNames(await statelessRequest(server.url, xApiKey(key.key), 'tools/list'))).toEqual(['echo']);
  });
});

describe('hostile and broken tokens', () => {
  it.each([
    ['expired', () => idp.mint.expired()],
    ['not yet valid (nbf in an hour)', () => idp.mint.notYetValid()],
    ['wrong audience (minted)', () => idp.mint.wrongAudience()],
    ['wrong audience (a real token for another resource)', () => idp.token({ resource: 'https://other.test/api', scope: 'mcp:use tools:*' })],
    ['wrong issuer', () => idp.mint.wrongIssuer()],
    ['alg: none', async () => idp.mint.algNone()],
    ['HS256 signed with the issuer\'s public key', () => idp.mint.hs256WithPublicKey()],
    [
      'a tampered payload (scope widened after signing)',
      async () => {
        const [header, payload, signature] = (await idp.token({ scope: 'mcp:use tools:echo' })).split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
        return `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'mcp:use tools:*' })).toString('base64url')}.${signature}`;
      },
    ],
  ])('%s – 401 invalid_token with the challenge, and no tool runs', async (_, token) => {
    const response = await call(await token(), 'tools/call', { name: 'echo', arguments: { message: 'must not run' } });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer resource_metadata="${metadataUrl}", error="invalid_token", error_description="`));
    expect(answerOf(response).error).toMatchObject({ code: -32000, data: { code: 'auth.invalid_token' } });
    expect(response.text).not.toContain('must not run');
  });

  it('a valid token without the required scope – 403 insufficient_scope naming the scopes to ask for', async () => {
    const response = await call(await idp.token({ scope: 'tools:*' }));

    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(/scope="([^"]*)"/.exec(challenge)?.[1]?.split(' ')).toContain('mcp:use');
    expect(answerOf(response).error).toMatchObject({ data: { code: 'auth.insufficient_scope' } });
  });
});

describe('scopes are grants; principals are OAuth subjects', () => {
  it('a token with scope "mcp:use tools:echo" – tools/list shows echo alone, and another tool is refused naming its grant', async () => {
    const token = await idp.token({ scope: 'mcp:use tools:echo' });
    expect(toolNames(await call(token))).toEqual(['echo']);
    const denied = answerOf(await call(token, 'tools/call', { name: 'system_info', arguments: {} }));
    expect(denied.result).toMatchObject({ isError: true });
    expect(JSON.stringify(denied.result)).toContain('tools:system_info');
  });

  it('another subject presenting a session id – 404 as for an unknown session; the same subject with a fresh token – served', async () => {
    const token = await idp.token({ scope: 'mcp:use tools:*' });
    const sessionId = await mustOpenSession(server.url, bearer(token));
    const stranger = await idp.mint.signed({ sub: 'another-client', client_id: 'another-client', scope: 'mcp:use tools:*' });

    expect((await sessionRequest(server.url, sessionId, bearer(stranger), 'tools/list')).status).toBe(404);
    const renewed = await idp.token({ scope: 'mcp:use tools:*' });
    expect(renewed).not.toBe(token);
    expect(answerOf(await sessionRequest(server.url, sessionId, bearer(renewed), 'tools/list')).error).toBeUndefined();
  });

  it('one token, many requests – verified once: the issuer is not asked again', async () => {
    const token = await idp.token({ scope: 'mcp:use tools:*' });
    await call(token);
    const before = { jwks: idp.requests('/jwks'), discovery: idp.requests('/.well-known/openid-configuration') + idp.requests('/.well-known/oauth-authorization-server') };
    for (let i = 0; i < 20; i += 1) expect((await call(token)).status).toBe(200);
    expect({ jwks: idp.requests('/jwks'), discovery: idp.requests('/.well-known/openid-configuration') + idp.requests('/.well-known/oauth-authorization-server') }).toEqual(before);
  });
});

describe('the issuer unreachable', () => {
  it('a server whose issuer does not answer – 503 with Retry-After, no challenge (the client must not re-authorize), and /ready still answers', async () => {
    const deadPort = await freeLoopbackPort();
    const port = await freeLoopbackPort();
    const isolated = await startHttpServer({
      ...authEnv([], { issuer: `http://127.0.0.1:${deadPort}`, audience: `http://127.0.0.1:${port}/mcp` }),
      TELEMETRYFLOW_MCP_SERVER__HTTP__PORT: String(port),
      TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
    });
    try {
      const token = await idp.mint.signed({ iss: `http://127.0.0.1:${deadPort}`, aud: `http://127.0.0.1:${port}/mcp` });
      const response = await postWith(isolated.url, '{}', bearer(token));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(answerOf(response).error).toMatchObject({ data: { code: 'auth.unavailable' } });
      expect((await fetch(`${isolated.base}/ready`)).status).toBe(200);
    } finally {
      await isolated.stop();
    }
  });
});

describe('key rotation', () => {
  it('the issuer rotates its signing key – a token with the new kid is accepted once the JWKS is refetched; a made-up kid stays refused', async () => {
    expect(firstJwksFetchAt).toBeDefined();
    // The refetch for an unknown kid waits out the cooldown since the last fetch (here: the first).
    const wait = firstJwksFetchAt! + JWKS_COOLDOWN_MS + 500 - Date.now();
    if (wait > 0) await sleep(wait);
    const jwksBefore = idp.requests('/jwks');
    const newKid = await idp.rotateKeys();

    const token = await idp.token({ scope: 'mcp:use tools:*' });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({ kid: newKid });
    const response = await call(token);

    expect(response.status).toBe(200);
    expect(idp.requests('/jwks')).toBe(jwksBefore + 1);
    const madeUp = await call(await idp.mint.unknownKid());
    expect(madeUp.status).toBe(401);
    expect(answerOf(madeUp).error?.message).toContain('unknown kid');
  }, JWKS_COOLDOWN_MS + 20_000);
});

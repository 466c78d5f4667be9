/**
 * A real OpenID Connect provider (`oidc-provider` 9, a devDependency: test support only) on
 * 127.0.0.1, issuing client-credentials access tokens for a resource indicator (RFC 8707), so the
 * tokens are RFC 9068 JWTs whose `aud` is the MCP server's canonical resource URI.
 *
 *   const idp = await startOidcProvider({ resource: 'https://mcp.test/mcp', scopes: ['tools:*', 'mcp:use'] });
 *   idp.issuer                       // http://127.0.0.1:<port> (auth.oauth.issuer)
 *   idp.jwksUrl, idp.tokenEndpoint, idp.introspectionEndpoint, idp.revocationEndpoint
 *   idp.resource                     // the default resource indicator (auth.oauth.audience)
 *   idp.client                       // { id, secret }: a client_credentials client allowed every scope
 *   idp.resourceServer               // { id, secret }: the MCP server's own client, for introspection
 *   await idp.token({ scope: 'tools:*' })                 // a real token from POST /token
 *   await idp.token({ resource: 'https://other.test/' })  // a real token for another audience
 *   await idp.revoke(token)          // RFC 7009 at the provider (opaque tokens then introspect inactive)
 *   idp.kid                          // the key signing tokens now
 *   idp.nextKid                      // the key rotateKeys() will publish (already usable by mint)
 *   await idp.rotateKeys()           // publish nextKid and sign with it; the JWKS keeps the old key
 *   await idp.rotateKeys({ retirePrevious: true })        // ... and drops the old key from the JWKS
 *   idp.requests('/jwks')            // requests the provider received for a path (discovery, JWKS, ...)
 *   idp.mint.signed({ scope: 'x' })  // a token signed with the current key; claims override defaults,
 *                                    // `undefined` removes one; { key: 'next' | 'unpublished' } signs with another key
 *   idp.mint.expired() / wrongAudience() / wrongIssuer() / notYetValid()    // signed with the real key
 *   idp.mint.algNone()               // unsecured JWT (`alg: none`, empty signature)
 *   idp.mint.hs256WithPublicKey()    // HS256 whose secret is the current public key's PEM (kid included)
 *   idp.mint.unknownKid()            // signed with a key the JWKS never serves
 *   await idp.stop()
 *
 * Options: `resource` (default https://mcp.test/mcp), `scopes` the provider knows and the client may
 * ask for (default tools:*, resources:*, prompts:*), `accessTokenFormat` 'jwt' (default) or 'opaque'
 * (for introspection), `accessTokenTtlS` (default 300), `alg` 'RS256' (default) or 'ES256'.
 * Any resource indicator is accepted (each is its own audience); tokens carry `sub` = the client id.
 *
 * Node 20: oidc-provider 9 prints "Unsupported runtime" once on import (it wants Node >= 22) and
 * works; the development in-memory adapter warning is avoided by passing that adapter's factory.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface OidcProviderOptions {
  readonly resource?: string;
  readonly scopes?: readonly string[];
  readonly accessTokenFormat?: 'jwt' | 'opaque';
  readonly accessTokenTtlS?: number;
  readonly alg?: 'RS256' | 'ES256';
}

export interface ClientCredentials {
  readonly id: string;
  readonly secret: string;
}

/** `undefined` for a claim removes it from the minted token. */
export type MintClaims = { readonly [claim: string]: unknown };
export type MintKey = 'current' | 'next' | 'unpublished';

export interface TokenMint {
  signed(claims?: MintClaims, options?: { key?: MintKey; header?: Record<string, unknown> }): Promise<string>;
  expired(): Promise<string>;
  notYetValid(): Promise<string>;
  wrongAudience(): Promise<string>;
  wrongIssuer(): Promise<string>;
  unknownKid(): Promise<string>;
  algNone(): string;
  hs256WithPublicKey(): Promise<string>;
}

export interface TestOidcProvider {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly tokenEndpoint: string;
  readonly introspectionEndpoint: string;
  readonly revocationEndpoint: string;
  readonly resource: string;
  readonly client: ClientCredentials;
  readonly resourceServer: ClientCredentials;
  readonly kid: string;
  readonly nextKid: string;
  readonly mint: TokenMint;
  token(request?: { scope?: string; resource?: string }): Promise<string>;
  revoke(token: string): Promise<void>;
  rotateKeys(options?: { retirePrevious?: boolean }): Promise<string>;
  requests(path: string): number;
  stop(): Promise<void>;
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly privateJwk: JWK;
}

/** The slice of oidc-provider's API used here (the package ships no types). */
type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => { callback(): RequestListener };
type AdapterFactory = (model: string) => unknown;

/** A bare specifier in a variable keeps tsc from looking for the types the package does not ship. */
const OIDC_PROVIDER = 'oidc-provider';
const MEMORY_ADAPTER = 'oidc-provider/lib/adapters/memory_adapter.js';

export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<TestOidcProvider> {
  const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: ProviderConstructor };
  const { createMemoryAdapter } = (await import(MEMORY_ADAPTER)) as { createMemoryAdapter: (clockTolerance: number) => AdapterFactory };
  const resource = options.resource ?? 'https://mcp.test/mcp';
  const scopes = options.scopes ?? ['tools:*', 'resources:*', 'prompts:*'];
  const alg = options.alg ?? 'RS256';
  const ttl = options.accessTokenTtlS ?? 300;
  const format = options.accessTokenFormat ?? 'jwt';
  const client = { id: 'mcp-client', secret: randomBytes(24).toString('base64url') };
  const resourceServer = { id: 'mcp-server', secret: randomBytes(24).toString('base64url') };
  // One store for every provider instance: opaque tokens survive a key rotation.
  const adapter = createMemoryAdapter(0);

  const counts = new Map<string, number>();
  let listener: RequestListener = (_req, res) => res.writeHead(503).end();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    listener(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let current = await newKey(alg);
  let next = await newKey(alg);
  const unpublished = await newKey(alg);
  let published: SigningKey[] = [current];

  const install = (): void => {
    const signingKid = current.kid;
    const provider = new Provider(issuer, {
      adapter,
      jwks: { keys: published.map((key) => key.privateJwk) },
      scopes: [...scopes],
      clients: [
        { client_id: client.id, client_secret: client.secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: scopes.join(' ') },
        { client_id: resourceServer.id, client_secret: resourceServer.secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
      ],
      clientDefaults: { id_token_signed_response_alg: alg },
      ttl: { ClientCredentials: () => ttl },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        // Only the MCP server's own client may introspect; a client may revoke only its own tokens.
        introspection: { enabled: true, allowedPolicy: (_ctx: unknown, caller: { clientId: string }) => caller.clientId === resourceServer.id },
        revocation: { enabled: true, allowedPolicy: (_ctx: unknown, caller: { clientId: string }, token: { clientId: string }) => caller.clientId === token.clientId },
        resourceIndicators: {
          enabled: true,
          defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string) => oneOf ?? resource,
          getResourceServerInfo: (_ctx: unknown, indicator: string) => ({
            scope: scopes.join(' '),
            audience: indicator,
            accessTokenTTL: ttl,
            accessTokenFormat: format,
            ...(format === 'jwt' ? { jwt: { sign: { alg, kid: signingKid } } } : {}),
          }),
        },
      },
    });
    listener = provider.callback();
  };
  install();

  const form = async (path: string, credentials: ClientCredentials, body: Record<string, string>): Promise<Response> =>
    fetch(`${issuer}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.id}:${credentials.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(body).toString(),
    });

  const keyFor = (which: MintKey): SigningKey => (which === 'current' ? current : which === 'next' ? next : unpublished);

  const signed: TokenMint['signed'] = async (claims = {}, mintOptions = {}) => {
    const key = keyFor(mintOptions.key ?? 'current');
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = { iss: issuer, aud: resource, sub: client.id, client_id: client.id, scope: scopes.join(' '), iat: now, exp: now + ttl, jti: randomBytes(12).toString('base64url') };
    for (const [claim, value] of Object.entries(claims)) {
      if (value === undefined) delete payload[claim];
      else payload[claim] = value;
    }
    return new SignJWT(payload).setProtectedHeader({ alg, typ: 'at+jwt', kid: key.kid, ...mintOptions.header }).sign(key.privateKey);
  };

  const mint: TokenMint = {
    signed,
    expired: () => {
      const now = Math.floor(Date.now() / 1000);
      return signed({ iat: now - 7200, exp: now - 3600 });
    },
    notYetValid: () => signed({ nbf: Math.floor(Date.now() / 1000) + 3600 }),
    wrongAudience: () => signed({ aud: 'https://other.test/api' }),
    wrongIssuer: () => signed({ iss: 'http://127.0.0.1:1/not-the-issuer' }),
    unknownKid: () => signed({}, { key: 'unpublished' }),
    algNone: () => {
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'none', typ: 'at+jwt', kid: current.kid };
      const payload = { iss: issuer, aud: resource, sub: client.id, scope: scopes.join(' '), iat: now, exp: now + ttl };
      return `${b64(header)}.${b64(payload)}.`;
    },
    hs256WithPublicKey: async () => {
      const secret = new TextEncoder().encode(await exportSPKI(current.publicKey));
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud: resource, sub: client.id, scope: scopes.join(' '), iat: now, exp: now + ttl })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: current.kid })
        .sign(secret);
    },
  };

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    tokenEndpoint: `${issuer}/token`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    revocationEndpoint: `${issuer}/token/revocation`,
    resource,
    client,
    resourceServer,
    get kid() {
      return current.kid;
    },
    get nextKid() {
      return next.kid;
    },
    mint,
    async token(request = {}) {
      const body: Record<string, string> = { grant_type: 'client_credentials', resource: request.resource ?? resource };
      if (request.scope !== undefined) body.scope = request.scope;
      const response = await form('/token', client, body);
      const answer = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (response.status !== 200 || !answer.access_token) throw new Error(`token request failed: HTTP ${response.status} ${answer.error ?? ''} ${answer.error_description ?? ''}`);
      return answer.access_token;
    },
    async revoke(token) {
      const response = await form('/token/revocation', client, { token });
      if (response.status !== 200) throw new Error(`revocation failed: HTTP ${response.status}`);
      await response.body?.cancel();
    },
    async rotateKeys(rotation = {}) {
      const previous = current;
      current = next;
      next = await newKey(alg);
      published = rotation.retirePrevious ? [current] : [current, previous];
      install();
      return current.kid;
    },
    requests: (path) => counts.get(path) ?? 0,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function newKey(alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomBytes(8).toString('hex');
  return { kid, privateKey, publicKey, privateJwk: { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' } };
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

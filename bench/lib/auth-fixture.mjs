import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_DIR } from './servers.mjs';

/**
 * Credentials for the authenticated HTTP suite: one API key hashed as `tfo-mcp keys hash` hashes it
 * (the built modules in dist/modules), and JWT access tokens from a real OpenID Connect provider on
 * loopback: the test support's oidc-provider (test/support/oidc-provider.ts, transpiled once by
 * esbuild into .tmp/bench so that it resolves jose and oidc-provider from the repository).
 *
 *   const auth = await startAuthFixture();
 *   auth.env(port)          // TELEMETRYFLOW_MCP_AUTH__* for a server on that port (keys + oauth)
 *   auth.apiKey             // the key, for `Authorization: Bearer`
 *   await auth.jwt(port)    // a token whose audience is http://127.0.0.1:<port>/mcp
 *   await auth.stop()
 */
/** Inside the repository (so node resolves its node_modules), and ignored by git (.tmp/). */
const CACHE_DIR = join(REPO_DIR, '.tmp', 'bench');
/** Every grant, so the authenticated run serves exactly what the unauthenticated one does. */
const SCOPES = ['tools:*', 'resources:*', 'prompts:*'];

async function importModule(relative) {
  return import(pathToFileURL(join(REPO_DIR, relative)).href);
}

/** The test support's provider as an ES module next to the repository's node_modules. */
async function loadOidcProvider() {
  const { build } = await import('esbuild');
  mkdirSync(CACHE_DIR, { recursive: true });
  const outfile = join(CACHE_DIR, 'oidc-provider.mjs');
  await build({ entryPoints: [join(REPO_DIR, 'test/support/oidc-provider.ts')], outfile, format: 'esm', platform: 'node', target: 'node20', bundle: false, logLevel: 'error' });
  return import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
}

export async function startAuthFixture() {
  const [{ generateApiKey }, { hashApiKey }, { startOidcProvider }] = await Promise.all([
    importModule('dist/modules/infrastructure/auth/api-keys/api-key-format.js'),
    importModule('dist/modules/infrastructure/auth/api-keys/api-key-hash.js'),
    loadOidcProvider(),
  ]);
  const apiKey = generateApiKey();
  const hash = await hashApiKey(apiKey);
  const idp = await startOidcProvider({ scopes: SCOPES, accessTokenTtlS: 3600 });
  const audience = (port) => `http://127.0.0.1:${port}/mcp`;
  return {
    apiKey,
    env: (port) => ({
      TELEMETRYFLOW_MCP_AUTH__API_KEYS: JSON.stringify([{ name: 'bench', hash, grants: SCOPES }]),
      TELEMETRYFLOW_MCP_AUTH__OAUTH__ISSUER: idp.issuer,
      TELEMETRYFLOW_MCP_AUTH__OAUTH__AUDIENCE: audience(port),
    }),
    jwt: (port) => idp.token({ resource: audience(port), scope: SCOPES.join(' ') }),
    stop: () => idp.stop(),
  };
}

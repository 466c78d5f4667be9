import { checkedIssuerUrl } from './oauth-options.js';
import { fetchIssuerJson, IssuerUnavailable } from './issuer-http.js';

/**
 * Where an issuer's metadata may live, in the order tried: RFC 8414 (the well-known segment goes
 * between the host and the issuer's path), then OpenID Connect Discovery (appended to the issuer).
 * For an issuer without a path the first is plainly `/.well-known/oauth-authorization-server`.
 */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [`${url.origin}/.well-known/oauth-authorization-server${path}`, `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`];
}

/**
 * The issuer's `jwks_uri`, from the first discovery document that answers. The document's `issuer`
 * must equal ours exactly (RFC 8414 §3.3), or a document served elsewhere could point us at
 * someone else's keys.
 */
export async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<string> {
  const failures: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    let metadata: Record<string, unknown>;
    try {
      metadata = await fetchIssuerJson(url, { headers: { accept: 'application/json' } }, timeoutMs);
    } catch (error) {
      if (!(error instanceof IssuerUnavailable)) throw error;
      failures.push(error.message);
      continue;
    }
    if (metadata.issuer !== issuer) {
      throw new IssuerUnavailable(`${url}: the document names issuer ${JSON.stringify(metadata.issuer)}, not the configured ${JSON.stringify(issuer)}`);
    }
    if (typeof metadata.jwks_uri !== 'string') throw new IssuerUnavailable(`${url}: the document has no jwks_uri`);
    try {
      return checkedIssuerUrl('jwks_uri', metadata.jwks_uri).href;
    } catch (error) {
      throw new IssuerUnavailable(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new IssuerUnavailable(`no discovery document for issuer ${issuer} (${failures.join('; ')})`);
}

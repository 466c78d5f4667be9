import type { IncomingMessage, ServerResponse } from 'node:http';

export interface GuardOptions {
  /** Host header values accepted (lower-case, with port); empty = any (non-loopback deployments). */
  readonly allowedHosts: ReadonlySet<string>;
  /** Origins accepted besides loopback ones; `*` is never echoed. */
  readonly allowedOrigins: ReadonlySet<string>;
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/** Loopback names on the port the server listens on: what a local client's Host header says. */
export function loopbackHosts(port: number, extra: readonly string[]): Set<string> {
  const names = ['localhost', '127.0.0.1', '[::1]'];
  return new Set([...names.map((n) => `${n}:${port}`), ...(port === 80 ? names : []), ...extra.map((h) => h.toLowerCase())]);
}

/**
 * DNS-rebinding protection, checked before the body is read: a page on evil.example that makes its
 * name resolve to 127.0.0.1 still sends `Host: evil.example` and `Origin: http://evil.example`.
 */
export function rejectedByHostOrOrigin(req: IncomingMessage, options: GuardOptions): string | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  if (options.allowedHosts.size > 0 && !options.allowedHosts.has(host)) return `Host "${host.slice(0, 100)}" is not allowed`;
  const origin = req.headers.origin;
  if (origin !== undefined && !originAllowed(origin, options)) return `Origin "${origin.slice(0, 100)}" is not allowed`;
  return undefined;
}

export function originAllowed(origin: string, options: GuardOptions): boolean {
  return LOOPBACK_ORIGIN.test(origin) || options.allowedOrigins.has(origin);
}

/** CORS for allowed browser origins only: the origin is echoed, never `*`. */
export function corsHeaders(req: IncomingMessage, options: GuardOptions): Record<string, string> {
  const origin = req.headers.origin;
  if (origin === undefined || !originAllowed(origin, options)) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    Vary: 'Origin',
    // WWW-Authenticate and Retry-After: a browser client must read them to authorize or back off.
    'Access-Control-Expose-Headers': 'Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate, Retry-After',
  };
}

/** Request headers any client may send; Mcp-Method and Mcp-Name are the 2026-07-28 routing headers (SEP-2243). */
const ALLOWED_HEADERS = 'Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name, X-API-Key';
/** `Mcp-Param-` and a non-empty RFC 9110 token, lower-cased. */
const PARAM_HEADER = /^mcp-param-[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/**
 * `Access-Control-Allow-Headers` for a preflight. Each tool names its own `Mcp-Param-*` headers
 * (SEP-2243), and CORS has no prefix wildcard: `*` is literal on a request with credentials and never
 * covers Authorization. So the `Mcp-Param-*` names the browser announces are reflected, and only
 * those; any other announced header stays unlisted and the browser refuses to send it. The reflected
 * list is no longer than the request's header, which node:http already bounds.
 */
export function allowedRequestHeaders(requested: string | undefined): string {
  if (requested === undefined) return ALLOWED_HEADERS;
  const params = new Set<string>();
  for (const item of requested.split(',')) {
    const name = item.trim().toLowerCase();
    if (PARAM_HEADER.test(name)) params.add(name);
  }
  return params.size === 0 ? ALLOWED_HEADERS : `${ALLOWED_HEADERS}, ${[...params].join(', ')}`;
}

export function preflight(req: IncomingMessage, res: ServerResponse, options: GuardOptions): void {
  res
    .writeHead(204, {
      ...corsHeaders(req, options),
      // The answer depends on the announced headers too: a cache must not hand it to another preflight.
      Vary: 'Origin, Access-Control-Request-Headers',
      'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': allowedRequestHeaders(req.headers['access-control-request-headers']),
      'Access-Control-Max-Age': '600',
    })
    .end();
}

export function isJsonContentType(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  return type !== undefined && /^application\/json\s*(;|$)/i.test(type);
}

export function accepts(req: IncomingMessage, type: string): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes(type) || accept.includes('*/*');
}

export class BodyTooLarge extends Error {}

/** Reads at most `limit` bytes; a larger body is refused as soon as it is known to be larger. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

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
    'Access-Control-Expose-Headers': 'Mcp-Session-Id, MCP-Protocol-Version',
  };
}

export function preflight(req: IncomingMessage, res: ServerResponse, options: GuardOptions): void {
  res
    .writeHead(204, {
      ...corsHeaders(req, options),
      'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID',
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

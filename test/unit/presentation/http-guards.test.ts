import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowedRequestHeaders, corsHeaders, loopbackHosts, preflight, rejectedByHostOrOrigin } from '../../../src/presentation/transports/http/http-guards.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const guards = { allowedHosts: loopbackHosts(8080, ['mcp.internal:443']), allowedOrigins: new Set(['https://app.example']) };

describe('HTTP guards', () => {
  it.each([
    [{ host: '127.0.0.1:8080' }, undefined],
    [{ host: 'localhost:8080' }, undefined],
    [{ host: '[::1]:8080' }, undefined],
    [{ host: 'LOCALHOST:8080' }, undefined],
    [{ host: 'mcp.internal:443' }, undefined],
    [{ host: 'evil.example:8080' }, 'Host "evil.example:8080" is not allowed'],
    [{ host: '127.0.0.1:9999' }, 'Host "127.0.0.1:9999" is not allowed'],
    [{ host: '127.0.0.1:8080', origin: 'http://evil.example' }, 'Origin "http://evil.example" is not allowed'],
    [{ host: '127.0.0.1:8080', origin: 'http://localhost:3000' }, undefined],
    [{ host: '127.0.0.1:8080', origin: 'https://app.example' }, undefined],
    [{ host: '127.0.0.1:8080', origin: 'http://localhost.evil.example' }, 'Origin "http://localhost.evil.example" is not allowed'],
  ])('rejectedByHostOrOrigin %j – %s', (headers, expected) => {
    expect(rejectedByHostOrOrigin(request(headers), guards)).toBe(expected);
  });

  it('no allowed-host list (non-loopback deployment) – any Host passes, Origin still checked', () => {
    const open = { allowedHosts: new Set<string>(), allowedOrigins: new Set<string>() };
    expect(rejectedByHostOrOrigin(request({ host: 'anything:1' }), open)).toBeUndefined();
    expect(rejectedByHostOrOrigin(request({ host: 'anything:1', origin: 'http://evil.example' }), open)).toMatch(/Origin/);
  });

  it('corsHeaders – an allowed origin is echoed, never *, and a refused one gets no CORS headers', () => {
    expect(corsHeaders(request({ origin: 'https://app.example' }), guards)['Access-Control-Allow-Origin']).toBe('https://app.example');
    expect(corsHeaders(request({ origin: 'http://evil.example' }), guards)).toEqual({});
    expect(corsHeaders(request({}), guards)).toEqual({});
  });
});

describe('CORS preflight', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => preflight(req, res, guards));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** An OPTIONS request as a browser sends it; resolves with the status and the response headers. */
  const options = (headers: Record<string, string>) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'OPTIONS', path: '/mcp', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });
  const allowedBy = (headers: IncomingHttpHeaders) => new Set(String(headers['access-control-allow-headers']).split(',').map((name) => name.trim().toLowerCase()));
  /** The names of `Access-Control-Request-Headers` the answer does not allow: what the browser would refuse to send. */
  const refused = (announced: string, headers: IncomingHttpHeaders) => announced.split(',').map((name) => name.trim().toLowerCase()).filter((name) => !allowedBy(headers).has(name));

  it('a 2026-07-28 tools/call from an allowed origin - routing headers and its Mcp-Param-* headers allowed, origin echoed', async () => {
    const announced = 'content-type,mcp-method,mcp-name,mcp-param-dry-run,mcp-param-region,mcp-protocol-version';
    const answer = await options({ Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': announced });
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(refused(announced, answer.headers)).toEqual([]);
    expect(answer.headers['access-control-allow-headers']).not.toContain('*');
    expect(answer.headers.vary).toBe('Origin, Access-Control-Request-Headers');
  });

  it('Mcp-Method and Mcp-Name - allowed with no Access-Control-Request-Headers at all (the fixed list)', async () => {
    const answer = await options({ Origin: 'http://localhost:3000' });
    expect([...allowedBy(answer.headers)]).toEqual(expect.arrayContaining(['mcp-method', 'mcp-name', 'mcp-protocol-version', 'mcp-session-id', 'authorization']));
    expect([...allowedBy(answer.headers)].some((name) => name.startsWith('mcp-param-'))).toBe(false);
  });

  it('announced headers that are not Mcp-Param-{token} - not reflected', async () => {
    const announced = 'x-evil,mcp-param-,mcp-paramregion,x-mcp-param-region,cookie';
    const answer = await options({ Origin: 'https://app.example', 'Access-Control-Request-Headers': announced });
    expect(refused(announced, answer.headers)).toEqual(['x-evil', 'mcp-param-', 'mcp-paramregion', 'x-mcp-param-region', 'cookie']);
  });

  it('a refused origin - no Access-Control-Allow-Origin, so the browser stops there', async () => {
    const answer = await options({ Origin: 'http://evil.example', 'Access-Control-Request-Headers': 'mcp-param-region' });
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it.each<[string, string | undefined, string[]]>([
    ['none announced', undefined, []],
    ['names in any case and with OWS, repeated', ' MCP-PARAM-Region ,\tmcp-param-region,Mcp-Param-Zone', ['mcp-param-region', 'mcp-param-zone']],
    ['token characters in the suffix', "mcp-param-a.b_c~d!e#f$g%h&i'j*k+l^m`n|o", ["mcp-param-a.b_c~d!e#f$g%h&i'j*k+l^m`n|o"]],
    ['delimiters or non-ASCII in the suffix', 'mcp-param-a b,mcp-param-a:b,mcp-param-a/b,mcp-param-r\u00e9gion,mcp-param-(x)', []],
  ])('allowedRequestHeaders, %s - the fixed list, then only the valid Mcp-Param-* names, lower-cased, once each', (_, announced, reflected) => {
    const fixed = 'Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name, X-API-Key';
    expect(allowedRequestHeaders(announced)).toBe([fixed, ...reflected].join(', '));
  });
});

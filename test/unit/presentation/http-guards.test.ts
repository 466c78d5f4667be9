import type { IncomingMessage } from 'node:http';
import { corsHeaders, loopbackHosts, rejectedByHostOrOrigin } from '../../../src/presentation/transports/http/http-guards.js';

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

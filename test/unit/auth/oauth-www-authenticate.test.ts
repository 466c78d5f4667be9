import { extractWWWAuthenticateParams } from '@modelcontextprotocol/client';
import { describe, expect, it } from '@jest/globals';
import { wwwAuthenticate } from '../../../src/infrastructure/auth/oauth/www-authenticate.js';

const METADATA = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

/** What the MCP SDK client reads out of a challenge: the consumer these headers are for. */
function asClientSees(value: string) {
  return extractWWWAuthenticateParams(new Response(null, { status: 401, headers: { 'WWW-Authenticate': value } }));
}

describe('wwwAuthenticate', () => {
  it('401 without a token – Bearer with resource_metadata only (RFC 6750 §3.1: no error code)', () => {
    expect(wwwAuthenticate({ resourceMetadataUrl: METADATA })).toBe(`Bearer resource_metadata="${METADATA}"`);
  });

  it('401 with a required scope – scope names it, so a client knows what to ask for', () => {
    expect(wwwAuthenticate({ resourceMetadataUrl: METADATA, scope: ['mcp:use'] })).toBe(`Bearer resource_metadata="${METADATA}", scope="mcp:use"`);
  });

  it('401 for a refused token – error and error_description follow resource_metadata', () => {
    const value = wwwAuthenticate({ resourceMetadataUrl: METADATA, error: 'invalid_token', description: 'token has expired' });
    expect(value).toBe(`Bearer resource_metadata="${METADATA}", error="invalid_token", error_description="token has expired"`);
  });

  it('403 insufficient_scope – error, scope (space-separated) and resource_metadata, as the MCP spec shows', () => {
    const value = wwwAuthenticate({ resourceMetadataUrl: METADATA, error: 'insufficient_scope', scope: ['tools:*', 'mcp:use'], description: 'token lacks the required scope mcp:use' });
    expect(value).toBe(`Bearer resource_metadata="${METADATA}", error="insufficient_scope", scope="tools:* mcp:use", error_description="token lacks the required scope mcp:use"`);
    expect(asClientSees(value)).toEqual({ resourceMetadataUrl: new URL(METADATA), scope: 'tools:* mcp:use', error: 'insufficient_scope', errorDescription: 'token lacks the required scope mcp:use' });
  });

  it('scope given as one string – kept as space-separated tokens, duplicates dropped', () => {
    expect(wwwAuthenticate({ resourceMetadataUrl: METADATA, scope: 'a b a' })).toBe(`Bearer resource_metadata="${METADATA}", scope="a b"`);
  });

  it('a scope entry with a quote, backslash, space or non-ASCII – left out, never escaped into the header', () => {
    const value = wwwAuthenticate({ resourceMetadataUrl: METADATA, scope: ['ok', 'bad"quote', 'back\\slash', 'naïve', ''] });
    expect(value).toBe(`Bearer resource_metadata="${METADATA}", scope="ok"`);
  });

  it('a description with quotes, backslashes, CR/LF and non-ASCII – those become spaces: no header injection, no broken quoting', () => {
    const value = wwwAuthenticate({ resourceMetadataUrl: METADATA, error: 'invalid_token', description: 'bad "x"\\\r\nSet-Cookie: a=b é' });
    expect(value).toBe(`Bearer resource_metadata="${METADATA}", error="invalid_token", error_description="bad  x    Set-Cookie: a=b"`);
    expect(value).not.toMatch(/[\r\n]/);
  });

  it('a description that imitates parameters – the client still reads the real ones (they come first)', () => {
    const value = wwwAuthenticate({ resourceMetadataUrl: METADATA, error: 'insufficient_scope', scope: 'mcp:use', description: 'scope=admin:* resource_metadata=https://evil.test/' });
    const seen = asClientSees(value);
    expect(seen.scope).toBe('mcp:use');
    expect(seen.resourceMetadataUrl?.href).toBe(METADATA);
  });

  it('a long description – capped at 200 characters', () => {
    const value = wwwAuthenticate({ resourceMetadataUrl: METADATA, error: 'invalid_token', description: 'x'.repeat(1_000) });
    expect(value).toContain(`error_description="${'x'.repeat(200)}"`);
    expect(value).not.toContain('x'.repeat(201));
  });

  it('a resource_metadata that is not an http(s) URL – a TypeError (a wiring bug, not a request fault)', () => {
    expect(() => wwwAuthenticate({ resourceMetadataUrl: 'not a url' })).toThrow(TypeError);
    expect(() => wwwAuthenticate({ resourceMetadataUrl: 'javascript:alert(1)' })).toThrow(TypeError);
  });

  it('a URL with characters that need quoting – serialized percent-encoded, so the quoted-string stays intact', () => {
    const value = wwwAuthenticate({ resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/a"b c' });
    expect(value).toBe('Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/a%22b%20c"');
  });
});

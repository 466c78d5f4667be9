import { describe, expect, it } from '@jest/globals';
import {
  protectedResourceMetadata,
  resourceMetadataPaths,
  resourceMetadataUrl,
  scopesSupported,
} from '../../../src/infrastructure/auth/oauth/protected-resource-metadata.js';

const BASE = { issuer: 'https://login.example.com/realms/acme', audience: 'https://mcp.example.com/mcp', requiredScopes: ['mcp:use'] };

describe('protectedResourceMetadata (RFC 9728)', () => {
  it('the document – resource is the audience verbatim, the issuer is the one authorization server, header-only bearer', () => {
    expect(protectedResourceMetadata({ ...BASE, resourceName: 'TelemetryFlow MCP' })).toEqual({
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: ['https://login.example.com/realms/acme'],
      scopes_supported: ['mcp:use', 'tools:*', 'resources:*', 'prompts:*'],
      bearer_methods_supported: ['header'],
      resource_name: 'TelemetryFlow MCP',
    });
  });

  it('scopes_supported – the configured list when given, duplicates dropped', () => {
    expect(protectedResourceMetadata({ ...BASE, scopesSupported: ['tools:read_file', 'mcp:use', 'mcp:use'] }).scopes_supported).toEqual(['tools:read_file', 'mcp:use']);
  });

  it('no resource_name configured – no field (not an empty string)', () => {
    expect(protectedResourceMetadata(BASE)).not.toHaveProperty('resource_name');
  });

  it('an audience at the host root without a slash – kept exactly as configured (tokens carry that string in aud)', () => {
    expect(protectedResourceMetadata({ ...BASE, audience: 'https://mcp.example.com' }).resource).toBe('https://mcp.example.com');
  });

  it('an audience with a fragment, a query, no https, or not a URL – a ConfigError naming auth.oauth.audience', () => {
    for (const audience of ['https://mcp.example.com/mcp#x', 'https://mcp.example.com/mcp?tenant=a', 'http://mcp.example.com/mcp', 'mcp.example.com']) {
      expect(() => protectedResourceMetadata({ ...BASE, audience })).toThrow(expect.objectContaining({ name: 'ConfigError', key: 'auth.oauth.audience' }));
    }
  });

  it('http on loopback – allowed (development and tests)', () => {
    expect(protectedResourceMetadata({ ...BASE, audience: 'http://127.0.0.1:8080/mcp' }).resource).toBe('http://127.0.0.1:8080/mcp');
  });
});

describe('resourceMetadataUrl / resourceMetadataPaths (RFC 9728 §3.1)', () => {
  it('a resource with a path – the well-known segment goes between host and path', () => {
    expect(resourceMetadataUrl('https://mcp.example.com/mcp')).toBe('https://mcp.example.com/.well-known/oauth-protected-resource/mcp');
    expect(resourceMetadataPaths('https://mcp.example.com/mcp')).toEqual(['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']);
  });

  it('a resource at the root (with or without the slash) – no suffix, one path', () => {
    for (const audience of ['https://mcp.example.com', 'https://mcp.example.com/']) {
      expect(resourceMetadataUrl(audience)).toBe('https://mcp.example.com/.well-known/oauth-protected-resource');
      expect(resourceMetadataPaths(audience)).toEqual(['/.well-known/oauth-protected-resource']);
    }
  });

  it('a port and a deeper path – kept', () => {
    expect(resourceMetadataUrl('https://mcp.example.com:8443/team/a/mcp')).toBe('https://mcp.example.com:8443/.well-known/oauth-protected-resource/team/a/mcp');
  });
});

describe('scopesSupported (what a 401 challenge and the document tell clients to request)', () => {
  it('default – the required scopes, then the wildcard grants; the configured list replaces it', () => {
    expect(scopesSupported({ requiredScopes: ['mcp:use'] })).toEqual(['mcp:use', 'tools:*', 'resources:*', 'prompts:*']);
    expect(scopesSupported({ requiredScopes: ['tools:*'] })).toEqual(['tools:*', 'resources:*', 'prompts:*']);
    expect(scopesSupported({ requiredScopes: ['mcp:use'], scopesSupported: ['tools:read_file'] })).toEqual(['tools:read_file']);
  });
});

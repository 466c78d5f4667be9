import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/infrastructure/config/config-loader.js';
import { redactConfig } from '../../../src/infrastructure/config/redact.js';

describe('redactConfig', () => {
  it.each(['api_key', 'apiKey', 'API-KEY', 'token', 'access_token', 'client_secret', 'password', 'db_passwd', 'credentials', 'private_key', 'Authorization'])(
    'secret-looking key %j - value replaced',
    (key) => {
      expect(redactConfig({ [key]: 'hunter2' })).toEqual({ [key]: '[redacted]' });
    },
  );

  it.each([undefined, null, ''])('secret key with no value (%j) - left as is, so "not set" stays visible', (value) => {
    expect(redactConfig({ api_key: value })).toEqual({ api_key: value });
  });

  it('nested objects and arrays - secrets found at any depth; other values untouched', () => {
    const input = {
      claude: { api_key: 'sk-ant-123', model: 'claude-sonnet-4-5', timeout_ms: 60_000 },
      sinks: [{ name: 'a', password: 'p1' }, { name: 'b' }],
      flags: [true, 3, 'plain'],
    };

    expect(redactConfig(input)).toEqual({
      claude: { api_key: '[redacted]', model: 'claude-sonnet-4-5', timeout_ms: 60_000 },
      sinks: [{ name: 'a', password: '[redacted]' }, { name: 'b' }],
      flags: [true, 3, 'plain'],
    });
  });

  it('input - is not modified', () => {
    const input = { claude: { api_key: 'sk-ant-123' } };
    redactConfig(input);
    expect(input.claude.api_key).toBe('sk-ant-123');
  });

  it.each([
    ['postgres://admin:hunter2@db:5432/app', 'postgres://admin:[redacted]@db:5432/app'],
    ['nats://user:p%40ss@nats.local:4222', 'nats://user:[redacted]@nats.local:4222'],
    ['see https://bob:s3cret@example.com/x and redis://u:pw@cache', 'see https://bob:[redacted]@example.com/x and redis://u:[redacted]@cache'],
  ])('URL with credentials %j - password masked', (url, expected) => {
    expect(redactConfig({ otlp_endpoint: url })).toEqual({ otlp_endpoint: expected });
  });

  it('URL whose user name is empty (redis://:password@host) - password masked', () => {
    const out = JSON.stringify(redactConfig({ cache_url: 'redis://:hunter2@cache:6379/0' }));
    expect(out).not.toContain('hunter2');
  });

  it.each(['https://example.com/path?q=1', 'http://localhost:4318', 'user@example.com', 'mailto:a@b.c'])('string without URL credentials %j - unchanged', (text) => {
    expect(redactConfig({ endpoint: text })).toEqual({ endpoint: text });
  });

  it('loaded config with an API key and a credentialed URL - neither secret survives, ordinary settings do', async () => {
    const cwd = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-redact-')));
    try {
      const config = loadConfig({
        env: {
          TELEMETRYFLOW_MCP_CLAUDE__API_KEY: 'sk-ant-secret-value',
          TELEMETRYFLOW_MCP_CLAUDE__BASE_URL: 'https://proxy:proxy-pass@llm.example.com/v1',
        },
        cwd,
        version: '0.0.0-test',
      });

      const redacted = redactConfig(config) as typeof config;
      const text = JSON.stringify(redacted);

      expect(text).not.toContain('sk-ant-secret-value');
      expect(text).not.toContain('proxy-pass');
      expect(redacted.claude.api_key).toBe('[redacted]');
      expect(redacted.claude.base_url).toBe('https://proxy:[redacted]@llm.example.com/v1');
      expect(redacted.claude.model).toBe(config.claude.model);
      expect(redacted.mcp.page_size).toBe(100);
      expect(redacted.mcp.roots).toEqual([cwd]);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('loaded config - non-secret settings whose names merely contain "token" (claude.max_tokens) stay visible', async () => {
    const cwd = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-redact-')));
    try {
      const config = loadConfig({ env: {}, cwd, version: '0.0.0-test' });
      const redacted = redactConfig(config) as typeof config;
      expect(redacted.claude.max_tokens).toBe(4096);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/infrastructure/config/config-loader.js';
import { redactConfig, redactText } from '../../../src/infrastructure/config/redact.js';

/** Every setting that holds a URL, each with a different credential shape. */
const URL_SETTINGS_ENV = {
  TELEMETRYFLOW_MCP_PERSISTENCE__POSTGRES__URL: 'postgres://tfo:pgSecret1@pg.local:5432/tfo?password=pgSecret2&sslmode=require',
  TELEMETRYFLOW_MCP_CACHE__REDIS__URL: 'redis://:redisSecret3@redis.local:6379/0',
  TELEMETRYFLOW_MCP_EVENTS__NATS__URL: 'nats://natsToken4@nats.local:4222',
  TELEMETRYFLOW_MCP_ANALYTICS__CLICKHOUSE__URL: 'http://ch.local:8123/?user=default&password=chSecret5',
  TELEMETRYFLOW_MCP_CLAUDE__BASE_URL: 'https://proxyToken6@llm.local/v1?api_key=claudeSecret7',
  TELEMETRYFLOW_MCP_TELEMETRY__OTLP_ENDPOINT: 'https://otel.local:4318/v1?token=otelSecret8',
};
const URL_SETTING_SECRETS = ['pgSecret1', 'pgSecret2', 'redisSecret3', 'natsToken4', 'chSecret5', 'proxyToken6', 'claudeSecret7', 'otelSecret8'];

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

  // [input, what must not survive, what must stay readable]
  const URL_CREDENTIALS: [string, string[], string[]][] = [
    ['nats://TOKEN123@nats.local:4222', ['TOKEN123'], ['nats://', '@nats.local:4222']],
    ['redis://:pass1@cache.local:6379/0', ['pass1'], ['redis://', '@cache.local:6379/0']],
    ['redis://onlyuser@cache.local', ['onlyuser'], ['redis://', '@cache.local']],
    ['postgres://u:p4ss@db.local/app?password=x9secret&sslmode=require', ['p4ss', 'x9secret'], ['postgres://u:', '@db.local/app', 'sslmode=require']],
    [
      'http://h.local/path?token=abc1&api_key=def2&access_token=ghi3&secret=jkl4&sig=mno5&X-Amz-Signature=pqr6&pwd=stu7&page=2',
      ['abc1', 'def2', 'ghi3', 'jkl4', 'mno5', 'pqr6', 'stu7'],
      ['http://h.local/path?', 'page=2', 'token=', 'api_key='],
    ],
    ['https://app.local/cb#access_token=frag1&state=s', ['frag1'], ['state=s']],
    ['postgres://us%40er:p%3Ass%2Fw@db.local:5432/app', ['p%3Ass%2Fw'], ['us%40er', '@db.local:5432/app']],
    ['http://h.local/?pass%77ord=enc1&to%6Ben=enc2', ['enc1', 'enc2'], ['http://h.local/']],
    ['postgres://u:ipv6pw@[::1]:5432/app', ['ipv6pw'], ['@[::1]:5432/app']],
    ['http://[fe80::1%25eth0]:8123/?password=v6q', ['v6q'], ['[fe80::1%25eth0]:8123']],
    ['postgres://u:p@ss@db.local/app', ['p@ss', 'ss@db'], ['@db.local/app']],
    ['amqp://guest:guest@mq.local;jsessionid=sess9', ['sess9'], ['@mq.local']],
  ];

  it.each(URL_CREDENTIALS)('URL %j - no credential survives, host and other parts stay readable', (url, secrets, kept) => {
    const out = (redactConfig({ url }) as { url: string }).url;
    for (const secret of secrets) expect(out).not.toContain(secret);
    for (const part of kept) expect(out).toContain(part);
    expect(out).toContain('[redacted]');
  });

  it.each(URL_CREDENTIALS)('URL %j inside free text (a driver error) - masked there too', (url, secrets, kept) => {
    const out = redactText(`connect failed for "${url}": ECONNREFUSED (retry 3)`);
    for (const secret of secrets) expect(out).not.toContain(secret);
    for (const part of kept) expect(out).toContain(part);
    expect(out).toMatch(/^connect failed for ".*": ECONNREFUSED \(retry 3\)$/);
  });

  it.each([
    'http://127.0.0.1:8123',
    'nats://127.0.0.1:4222',
    'https://h.local/search?q=token&sslmode=require&max_tokens=5&keyboard=us',
    'redis://[::1]:6379/0',
    'no url here: password=visible-to-key-rules-only',
  ])('text without URL credentials %j - unchanged', (text) => {
    expect(redactText(text)).toBe(text);
  });

  it('an Error value (logged as a field) - kept as text, with its URL credentials masked', () => {
    const out = redactConfig({ error: new Error('connect to nats://TOK9@n.local:4222 failed') }) as { error: string };
    expect(out.error).toContain('connect to nats://[redacted]@n.local:4222 failed');
    expect(out.error).not.toContain('TOK9');
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

  it('loaded config with credentials in every URL setting - none survives redaction', async () => {
    const cwd = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-redact-')));
    try {
      const config = loadConfig({ env: URL_SETTINGS_ENV, cwd, version: '0.0.0-test' });
      const text = JSON.stringify(redactConfig(config));
      for (const secret of URL_SETTING_SECRETS) expect(text).not.toContain(secret);
      expect(text).toContain('@pg.local:5432/tfo');
      expect(text).toContain('sslmode=require');
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

import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import winston from 'winston';
import { ConfigError, loadConfig } from '../../../../src/infrastructure/config/config-loader.js';
import { isSecretKey, redactConfig } from '../../../../src/infrastructure/config/redact.js';
import { createWinston, WinstonLogger } from '../../../../src/infrastructure/logging/winston-logger.js';

const KEY_NEW = 'requestStateKeyNew-0123456789abcdef0123';
const KEY_OLD = 'requestStateKeyOld-fedcba9876543210fedc';

describe('mcp.request_state.keys redaction', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-redact-keys-')));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function configWith(yamlText: string, env: Record<string, string> = {}) {
    const file = path.join(dir, 'tfo-mcp.yaml');
    await writeFile(file, yamlText);
    return loadConfig({ configPath: file, env, cwd: dir, version: '1.0.0' });
  }

  /** The message of the ConfigError loading throws. */
  async function problemOf(yamlText: string, env: Record<string, string> = {}): Promise<string> {
    try {
      await configWith(yamlText, env);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('the configuration loaded');
  }

  it.each(['keys', 'api_keys', 'signing-keys', 'private_keys'])('%j - a secret name', (name) => {
    expect(isSecretKey(name)).toBe(true);
  });

  it.each(['monkeys', 'keystore_path', 'max_tokens', 'hotkeys'])('%j - not a secret name', (name) => {
    expect(isSecretKey(name)).toBe(false);
  });

  it('config print (redactConfig of the loaded config) - each key replaced, their number kept', async () => {
    const config = await configWith(`mcp:\n  request_state:\n    keys: [${KEY_NEW}, ${KEY_OLD}]\n`);

    const printed = redactConfig(config) as { mcp: { request_state: { keys: unknown; ttl_seconds: unknown } } };

    expect(printed.mcp.request_state).toEqual({ keys: ['[redacted]', '[redacted]'], ttl_seconds: 600 });
    expect(JSON.stringify(printed)).not.toMatch(/requestStateKey/);
  });

  it('no keys configured - shown as [] (not set stays visible)', async () => {
    const config = await configWith('mcp:\n  request_state:\n    ttl_seconds: 60\n');

    expect((redactConfig(config) as { mcp: { request_state: unknown } }).mcp.request_state).toEqual({ keys: [], ttl_seconds: 60 });
  });

  it.each(['json', 'text'] as const)('the section logged as a field (%s) - no key in the line', async (format) => {
    const config = await configWith(`mcp:\n  request_state:\n    keys: [${KEY_NEW}]\n`);
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const inner = createWinston({ level: 'info', format });
    inner.clear().add(new winston.transports.Stream({ stream }));

    new WinstonLogger(inner).info('config', { mcp: config.mcp, request_state: config.mcp.request_state, keys: config.mcp.request_state.keys });

    expect(text).toContain('[redacted]');
    expect(text).not.toMatch(/requestStateKey/);
  });

  it('a key too short in the file - the error names the line and the key, not the value', async () => {
    const message = await problemOf('mcp:\n  request_state:\n    keys: [tooShortSecret123]\n');

    expect(message).toBe('tfo-mcp.yaml line 3 (mcp.request_state.keys.0): a request_state key must be at least 32 characters');
    expect(message).not.toContain('tooShortSecret123');
  });

  it('keys given by environment variable - a comma-separated list is accepted, newest first', () => {
    const config = loadConfig({ env: { TELEMETRYFLOW_MCP_MCP__REQUEST_STATE__KEYS: `${KEY_NEW},${KEY_OLD}` }, cwd: tmpdir(), version: '0.0.0-test' });

    expect(config.mcp.request_state.keys).toEqual([KEY_NEW, KEY_OLD]);
  });

  it('a short key given by environment variable - the error names the variable and hides the value', async () => {
    const message = await problemOf('', { TELEMETRYFLOW_MCP_MCP__REQUEST_STATE__KEYS: `${KEY_NEW},tooShortSecret123` });

    expect(message).toContain('TELEMETRYFLOW_MCP_MCP__REQUEST_STATE__KEYS (value hidden) (mcp.request_state.keys.1)');
    expect(message).not.toMatch(/requestStateKey|tooShortSecret123/);
  });
});

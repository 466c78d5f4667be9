import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateApiKey } from '../../../../src/infrastructure/auth/api-keys/api-key-format.js';
import { hashApiKey } from '../../../../src/infrastructure/auth/api-keys/api-key-hash.js';
import { ConfigError, loadConfig } from '../../../../src/infrastructure/config/config-loader.js';
import { redactConfig } from '../../../../src/infrastructure/config/redact.js';

/**
 * What `config print` (and config://server) shows of the auth and rate_limits sections: key names,
 * grants, expiry and class visible, hashes never; the limits as configured. And the loader's
 * cross-check between an API key's rate_limit_class and rate_limits.classes.
 */
describe('auth and rate_limits in the printed configuration', () => {
  let dir: string;
  let key: string;
  let hash: string;

  beforeAll(async () => {
    key = generateApiKey();
    hash = await hashApiKey(key, { N: 1024, r: 8, p: 1 });
  });
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-auth-print-')));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function load(yamlText: string, env: Record<string, string> = {}) {
    const file = path.join(dir, 'tfo-mcp.yaml');
    await writeFile(file, yamlText);
    return loadConfig({ configPath: file, env, cwd: dir, version: '1.0.0' });
  }

  async function problemOf(yamlText: string): Promise<ConfigError> {
    try {
      await load(yamlText);
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('the configuration loaded');
  }

  const keysYaml = (rateLimitClass: string, limits: string) => `
auth:
  api_keys:
    - name: ci-bot
      hash: "${hash}"
      grants: [tools:read_file, resources:file]
      expires_at: 2099-01-01
      rate_limit_class: ${rateLimitClass}
rate_limits:
${limits}
`;

  it('config print – API key name, grants, expiry and class shown, the hash redacted and absent from the text', async () => {
    const config = await load(keysYaml('batch', '  enabled: true\n  classes:\n    batch: { requests_per_minute: 60 }'));

    const printed = redactConfig(config) as { auth: { api_keys: Record<string, unknown>[] }; rate_limits: Record<string, unknown> };

    expect(printed.auth.api_keys).toEqual([
      { name: 'ci-bot', hash: '[redacted]', grants: ['tools:read_file', 'resources:file'], expires_at: '2099-01-01', rate_limit_class: 'batch' },
    ]);
    const text = JSON.stringify(printed);
    expect(text).not.toContain(hash.split('$').at(-1));
    expect(text).not.toContain(key);
    expect(printed.rate_limits).toMatchObject({ enabled: true, store: 'memory', classes: { batch: { requests_per_minute: 60 } }, default: { requests_per_minute: 600 } });
  });

  it('an api_keys list of plain strings (a log field, not the config) – every entry redacted', () => {
    expect(redactConfig({ api_keys: [key, 'tfo_other'] })).toEqual({ api_keys: ['[redacted]', '[redacted]'] });
  });

  it('a field named hash anywhere – redacted', () => {
    expect(redactConfig({ nested: { hash: 'scrypt$16384$8$1$abc$def', password_hash: 'x' } })).toEqual({ nested: { hash: '[redacted]', password_hash: '[redacted]' } });
  });

  it('rate limits on, a key naming an unconfigured class – refused at that key, listing the configured classes', async () => {
    const error = await problemOf(keysYaml('bacth', '  enabled: true\n  classes:\n    batch: { requests_per_minute: 60 }'));

    expect(error.key).toBe('auth.api_keys.0.rate_limit_class');
    expect(error.message).toContain('"bacth" is not a rate_limits.classes entry (configured: batch)');
    expect(error.message).toContain('tfo-mcp.yaml');
  });

  it('rate limits off, a key naming an unconfigured class – loads (the class has no effect until limits are on)', async () => {
    const config = await load(keysYaml('batch', '  enabled: false'));
    expect(config.auth?.api_keys[0].rate_limit_class).toBe('batch');
  });

  it('rate limits on with no classes at all – the problem says none are configured', async () => {
    const error = await problemOf(keysYaml('batch', '  enabled: true'));
    expect(error.message).toContain('(none are configured)');
  });
});

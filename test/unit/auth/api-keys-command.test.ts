import { Readable } from 'node:stream';
import { apiKeyCliTools, type KeyCliConfig } from '../../../src/infrastructure/auth/api-keys/api-key-cli-tools.js';
import { apiKeyIdOf, generateApiKey } from '../../../src/infrastructure/auth/api-keys/api-key-format.js';
import { hashApiKey, verifyApiKey } from '../../../src/infrastructure/auth/api-keys/api-key-hash.js';
import { authSchema } from '../../../src/infrastructure/config/auth.schema.js';
import { ConfigError } from '../../../src/infrastructure/config/config-error.js';
import { runKeysCommand, type KeyInput } from '../../../src/presentation/cli/keys-command.js';

/** Nothing listens on port 1 of loopback: a refused connection, at once. */
const DEAD_PG = { url: 'postgres://x:y@127.0.0.1:1/none', statement_timeout_ms: 1_000 };

function sink() {
  const chunks: string[] = [];
  return { write: (text: string) => chunks.push(text), get text() { return chunks.join(''); } };
}

const piped = (text: string): KeyInput => Readable.from([Buffer.from(text)]);
const terminal: KeyInput = Object.assign(Readable.from([]), { isTTY: true });

async function run(argv: string[], options: { stdin?: KeyInput; config?: KeyCliConfig | (() => KeyCliConfig) } = {}) {
  const [stdout, stderr] = [sink(), sink()];
  const configPaths: (string | undefined)[] = [];
  const load = (configPath: string | undefined) => {
    configPaths.push(configPath);
    const config = options.config ?? { persistence: { postgres: DEAD_PG } };
    return typeof config === 'function' ? config() : config;
  };
  const code = await runKeysCommand(argv, { stdin: options.stdin ?? piped(''), stdout, stderr, keys: apiKeyCliTools({ load }) });
  return { code, stdout: stdout.text, stderr: stderr.text, configPaths };
}

describe('tfo-mcp keys (runKeysCommand)', () => {
  let configKey: string;
  let withConfigKeys: KeyCliConfig;
  let postgresStore: KeyCliConfig;

  beforeAll(async () => {
    configKey = generateApiKey();
    const auth = authSchema.parse({
      api_keys: [{ name: 'ci-bot', hash: await hashApiKey(configKey, { N: 1024, r: 8, p: 1 }), grants: ['tools:read_file'], expires_at: '2027-01-31', rate_limit_class: 'batch' }],
    });
    withConfigKeys = { auth, persistence: { postgres: DEAD_PG } };
    postgresStore = { auth: { ...auth, api_key_store: 'postgres' }, persistence: { postgres: DEAD_PG } };
  });

  it('hash - a key piped in - prints only its hash, which verifies; nothing read from config', async () => {
    const key = generateApiKey();

    const { code, stdout, stderr, configPaths } = await run(['hash'], { stdin: piped(`${key}\n`) });

    expect(code).toBe(0);
    expect(stdout).toMatch(/^scrypt\$16384\$8\$1\$[^\n]+\n$/);
    await expect(verifyApiKey(key, stdout.trim())).resolves.toBe(true);
    expect(stderr).toBe('');
    expect(configPaths).toEqual([]);
  });

  it.each([
    ['a terminal', () => terminal],
    ['empty stdin', () => piped('')],
  ])('hash - %s - makes a key, prints it once with its hash; stderr says it is shown once', async (_, stdin) => {
    const { code, stdout, stderr } = await run(['hash'], { stdin: stdin() });

    expect(code).toBe(0);
    const [, key, hash] = /^key: {2}(tfo_\S+)\nhash: (scrypt\$\S+)\n$/.exec(stdout) ?? [];
    expect(apiKeyIdOf(key)).toBeDefined();
    await expect(verifyApiKey(key, hash)).resolves.toBe(true);
    expect(stderr).toMatch(/shown once/);
    expect(stderr).not.toContain(key);
  });

  it.each([
    ['not a key', 'hunter2\n', /stdin does not hold an API key: an API key starts with "tfo_"/],
    ['two keys', `${generateApiKey()}\n${generateApiKey()}\n`, /stdin does not hold an API key/],
    ['5 KB', 'x'.repeat(5000), /more than 4096 bytes/],
  ])('hash - stdin holds %s - exit 2, the input never echoed', async (_, input, problem) => {
    const { code, stdout, stderr } = await run(['hash'], { stdin: piped(input) });

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(problem);
    expect(stderr).not.toContain(input.trim().slice(0, 40));
  });

  it.each([
    [['hash', '--name', 'x'], /keys hash: --name does not apply here/],
    [['list', 'extra'], /keys list: unexpected argument "extra"/],
    [['revoke'], /keys revoke: expected exactly one key NAME/],
    [['rotate'], /unknown subcommand "rotate"; expected hash, create, list or revoke/],
    [[], /which one: hash, create, list or revoke\?/],
    [['list', '--colour'], /Unknown option '--colour'/],
  ])('usage - %j - exit 2 with the usage', async (argv, problem) => {
    const { code, stderr } = await run(argv);

    expect(code).toBe(2);
    expect(stderr).toMatch(problem);
    expect(stderr).toContain('tfo-mcp keys create --name NAME --grants');
  });

  it('--help - the usage on stdout, exit 0', async () => {
    const { code, stdout } = await run(['--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('tfo-mcp keys revoke NAME');
  });

  it('list - config store - the config keys with id, grants, expiry and class; never a hash', async () => {
    const { code, stdout } = await run(['list', '--config', 'prod.yaml'], { config: withConfigKeys });

    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^NAME\s+ID\s+SOURCE\s+GRANTS\s+EXPIRES\s+CLASS\s+CREATED\s+REVOKED$/);
    expect(stdout).toMatch(new RegExp(`ci-bot\\s+${apiKeyIdOf(configKey)}\\s+config\\s+tools:read_file\\s+2027-01-31T00:00:00.000Z\\s+batch`));
    expect(stdout).not.toContain('scrypt');
  });

  it('list --json - config store - parsable, never a hash; --config reaches the loader', async () => {
    const { code, stdout, configPaths } = await run(['--config', 'prod.yaml', 'list', '--json'], { config: withConfigKeys });

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([{ name: 'ci-bot', id: apiKeyIdOf(configKey), source: 'config', grants: ['tools:read_file'], expiresAt: '2027-01-31T00:00:00.000Z', rateLimitClass: 'batch' }]);
    expect(configPaths).toEqual(['prod.yaml']);
  });

  it('list - no auth section - says there are none', async () => {
    const { code, stdout } = await run(['list']);

    expect(code).toBe(0);
    expect(stdout).toBe('no API keys (auth.api_key_store: config)\n');
  });

  it('create - config store - exit 2, pointing at keys hash and auth.api_keys', async () => {
    const { code, stdout, stderr } = await run(['create', '--name', 'x', '--grants', 'tools:*'], { config: withConfigKeys });

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/auth\.api_key_store is "config".*tfo-mcp keys hash/);
  });

  it('revoke - a key that lives in the config file - exit 1, saying where to remove it', async () => {
    const { code, stderr } = await run(['revoke', 'ci-bot'], { config: postgresStore });

    expect(code).toBe(1);
    expect(stderr).toMatch(/"ci-bot" is in the configuration \(auth\.api_keys\)/);
  });

  it.each([
    [['--grants', 'tools:*'], /--name NAME is required/],
    [['--name', 'x'], /--grants is required/],
    [['--name', 'has space', '--grants', 'tools:*'], /--name: "has space" is not a key name/],
    [['--name', 'x', '--grants', 'tools:read_file,tool:write_file'], /--grants: "tool:write_file" is not a grant/],
    [['--name', 'x', '--grants', ','], /--grants: a key without grants could call nothing/],
    [['--name', 'x', '--grants', 'tools:*', '--expires-at', '2020-01-01'], /--expires-at: 2020-01-01T00:00:00.000Z is already past/],
    [['--name', 'x', '--grants', 'tools:*', '--expires-at', 'soon'], /--expires-at: expected an ISO 8601 date/],
    [['--name', 'x', '--grants', 'tools:*', '--rate-limit-class', 'a b'], /--rate-limit-class: "a b" is not a rate_limits.classes name/],
  ])('create - %j - exit 2 before Postgres is asked', async (flags, problem) => {
    const { code, stdout, stderr } = await run(['create', ...flags], { config: postgresStore });

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(problem);
  });

  it('create - a name used in the config file - exit 1', async () => {
    const { code, stderr } = await run(['create', '--name', 'ci-bot', '--grants', 'tools:*'], { config: postgresStore });

    expect(code).toBe(1);
    expect(stderr).toMatch(/"ci-bot" names a key in auth\.api_keys/);
  });

  it('list - Postgres unreachable - exit 1 naming the key that sets the URL, never the URL credentials', async () => {
    const { code, stderr } = await run(['list'], { config: postgresStore });

    expect(code).toBe(1);
    expect(stderr).toBe('tfo-mcp: keys list: Postgres (persistence.postgres.url): connection refused\n');
  });

  it('invalid configuration - exit 2 with the loader message', async () => {
    const { code, stderr } = await run(['list'], {
      config: () => {
        throw new ConfigError('auth.api_keys.0.grants.0', 'not a grant', 'tfo-mcp.yaml line 4 (auth.api_keys.0.grants.0)');
      },
    });

    expect(code).toBe(2);
    expect(stderr).toBe('tfo-mcp: keys list: invalid configuration: tfo-mcp.yaml line 4 (auth.api_keys.0.grants.0): not a grant\n');
  });
});

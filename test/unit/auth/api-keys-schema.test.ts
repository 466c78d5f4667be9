import { z } from 'zod';
import { generateApiKey } from '../../../src/infrastructure/auth/api-keys/api-key-format.js';
import { hashApiKey } from '../../../src/infrastructure/auth/api-keys/api-key-hash.js';
import { assertApiKeyStore, authSchema, parseExpiry } from '../../../src/infrastructure/config/auth.schema.js';
import { ConfigError } from '../../../src/infrastructure/config/config-error.js';
import { configProblems, plainMessages } from '../../../src/infrastructure/config/config-problems.js';
import { envLayer, SourceIndex, yamlLayer, type ConfigLayer } from '../../../src/infrastructure/config/config-sources.js';

/** The section as the loader would see it: under `auth`, with problems named by key and source. */
const root = z.object({ auth: authSchema.optional() }).strict();

function parse(layer: ConfigLayer) {
  const result = root.safeParse(layer.values, { error: plainMessages });
  if (result.success) return { config: result.data.auth, problems: [] as string[] };
  return { config: undefined, problems: configProblems(result.error, layer.values, new SourceIndex([layer]), root).map((problem) => problem.message) };
}
const yaml = (text: string) => parse(yamlLayer(text, 'tfo-mcp.yaml', '/tmp/tfo-mcp.yaml'));
const env = (vars: Record<string, string>) => parse(envLayer(vars));

let hash: string;
let otherHash: string;
beforeAll(async () => {
  [hash, otherHash] = await Promise.all([hashApiKey(generateApiKey(), { N: 1024, r: 8, p: 1 }), hashApiKey(generateApiKey(), { N: 1024, r: 8, p: 1 })]);
});

describe('auth config section', () => {
  it('defaults - no oauth, no keys, stdio may use everything, keys from config', () => {
    expect(yaml('auth: {}\n')).toEqual({
      config: { api_keys: [], stdio_grants: ['tools:*', 'resources:*', 'prompts:*'], api_key_store: 'config' },
      problems: [],
    });
  });

  it('api_keys - a full entry - kept as written (grants as strings, expires_at as text)', () => {
    const { config, problems } = yaml(
      `auth:\n  api_keys:\n    - name: ci-bot\n      hash: "${hash}"\n      grants: [tools:read_file, resources:file]\n      expires_at: 2027-01-31\n      rate_limit_class: batch\n`,
    );

    expect(problems).toEqual([]);
    expect(config?.api_keys).toEqual([{ name: 'ci-bot', hash, grants: ['tools:read_file', 'resources:file'], expires_at: '2027-01-31', rate_limit_class: 'batch' }]);
  });

  it('api_keys.grants - a typo - a config error naming the key path and file line, with the grant forms', () => {
    const { problems } = yaml(`auth:\n  api_keys:\n    - name: ci\n      hash: "${hash}"\n      grants:\n        - tools:read_file\n        - tool:write_file\n`);

    // The loader locates list items by their entry's line (3); the key path is exact.
    expect(problems).toEqual(['tfo-mcp.yaml line 3 (auth.api_keys.0.grants.1): not a grant: expected tools:<name>, tools:*, resources:<scheme>, resources:*, prompts:<name> or prompts:*, got "tool:write_file"']);
  });

  it('stdio_grants - a typo - named by key path', () => {
    expect(yaml('auth:\n  stdio_grants: [tools:*, resource:file]\n').problems).toEqual([expect.stringContaining('(auth.stdio_grants.1): not a grant: expected tools:<name>')]);
  });

  it.each([
    ['the key pasted instead of its hash', () => generateApiKey(), /hash\): expected what `tfo-mcp keys hash` prints/],
    ['an empty grant list', () => hash, /grants\): a key without grants could call nothing/, '[]'],
  ])('api_keys - %s - refused, named', (_, makeHash, problem, grants = '[tools:*]') => {
    const { problems } = yaml(`auth:\n  api_keys:\n    - name: ci\n      hash: "${makeHash()}"\n      grants: ${grants}\n`);

    expect(problems).toEqual([expect.stringMatching(problem)]);
  });

  it('api_keys - two entries with one name, one key listed twice, a bad name - each problem named', () => {
    const { problems } = yaml(
      `auth:\n  api_keys:\n` +
        `    - { name: ci, hash: "${hash}", grants: [tools:*] }\n` +
        `    - { name: ci, hash: "${otherHash}", grants: [tools:*] }\n` +
        `    - { name: other, hash: "${hash}", grants: [tools:*] }\n` +
        `    - { name: "has space", hash: "${otherHash}", grants: [tools:*], colour: red }\n`,
    );

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('(auth.api_keys.3.name): expected 1–64 letters'),
        expect.stringContaining('unknown key "colour" in auth.api_keys.3'),
      ]),
    );
    // The uniqueness checks run once every entry is well-formed: fix the shape first, then they report.
    const second = yaml(
      `auth:\n  api_keys:\n` +
        `    - { name: ci, hash: "${hash}", grants: [tools:*] }\n` +
        `    - { name: ci, hash: "${otherHash}", grants: [tools:*] }\n` +
        `    - { name: other, hash: "${hash}", grants: [tools:*] }\n`,
    );
    expect(second.problems).toEqual([
      expect.stringContaining('(auth.api_keys.1.name): "ci" names another key already'),
      expect.stringContaining('(auth.api_keys.2.hash): the same key is listed twice'),
    ]);
  });

  it.each([
    ['2027-01-31', '2027-01-31T00:00:00.000Z'],
    ['2027-01-31T18:30:00Z', '2027-01-31T18:30:00.000Z'],
    ['2027-01-31T18:30:00.250+02:00', '2027-01-31T16:30:00.250Z'],
    ['2027-01-31T18:30+02:00', '2027-01-31T16:30:00.000Z'],
  ])('parseExpiry - %s - the instant %s', (text, instant) => {
    expect((parseExpiry(text) as Date).toISOString()).toBe(instant);
  });

  it.each([
    ['2027-02-30', /not a calendar date/],
    ['2027-01-31T18:30:00', /needs its offset/],
    ['31/01/2027', /ISO 8601/],
    ['next tuesday', /ISO 8601/],
    ['2027-01-31T25:00:00Z', /ISO 8601/],
  ])('api_keys.expires_at - %s - refused, named', (text, problem) => {
    const { problems } = yaml(`auth:\n  api_keys:\n    - name: ci\n      hash: "${hash}"\n      grants: [tools:*]\n      expires_at: "${text}"\n`);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('(auth.api_keys.0.expires_at)');
    expect(problems[0]).toMatch(problem);
  });

  it('environment - api_keys as JSON, oauth keys and lists by the usual names', () => {
    const { config, problems } = env({
      TELEMETRYFLOW_MCP_AUTH__API_KEYS: JSON.stringify([{ name: 'ci', hash, grants: ['tools:read_file'] }]),
      TELEMETRYFLOW_MCP_AUTH__OAUTH__ISSUER: 'https://login.example.com/realms/tfo',
      TELEMETRYFLOW_MCP_AUTH__OAUTH__AUDIENCE: 'https://mcp.example.com/mcp',
      TELEMETRYFLOW_MCP_AUTH__OAUTH__REQUIRED_SCOPES: 'mcp,tools:read_file',
      TELEMETRYFLOW_MCP_AUTH__STDIO_GRANTS: 'tools:read_file,prompts:*',
      TELEMETRYFLOW_MCP_AUTH__API_KEY_STORE: 'postgres',
    });

    expect(problems).toEqual([]);
    expect(config).toEqual({
      api_keys: [{ name: 'ci', hash, grants: ['tools:read_file'] }],
      oauth: {
        issuer: 'https://login.example.com/realms/tfo',
        audience: 'https://mcp.example.com/mcp',
        required_scopes: ['mcp', 'tools:read_file'],
        algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
        clock_skew_s: 60,
      },
      stdio_grants: ['tools:read_file', 'prompts:*'],
      api_key_store: 'postgres',
    });
  });

  it('oauth - every key set - kept', () => {
    const { config, problems } = yaml(
      'auth:\n  oauth:\n    issuer: http://127.0.0.1:9000\n    audience: http://127.0.0.1:8080/mcp\n    jwks_url: http://127.0.0.1:9000/jwks\n' +
        '    required_scopes: [mcp]\n    introspection_url: http://127.0.0.1:9000/introspect\n    client_id: tfo-mcp\n    client_secret_file: /run/secrets/introspection\n' +
        '    algorithms: [ES256]\n    clock_skew_s: 5\n',
    );

    expect(problems).toEqual([]);
    expect(config?.oauth).toEqual({
      issuer: 'http://127.0.0.1:9000',
      audience: 'http://127.0.0.1:8080/mcp',
      jwks_url: 'http://127.0.0.1:9000/jwks',
      required_scopes: ['mcp'],
      introspection_url: 'http://127.0.0.1:9000/introspect',
      client_id: 'tfo-mcp',
      client_secret_file: '/run/secrets/introspection',
      algorithms: ['ES256'],
      clock_skew_s: 5,
    });
  });

  it.each([
    ['issuer over plain http off loopback', 'issuer: http://login.example.com', /\(auth\.oauth\.issuer\): expected an https:\/\/ URL/],
    ['algorithm none', 'algorithms: [RS256, none]', /\(auth\.oauth\.algorithms\.1\): expected one of RS256.*none and HS\* are never accepted/],
    ['an HMAC algorithm', 'algorithms: [HS256]', /\(auth\.oauth\.algorithms\.0\):.*HS\* are never accepted/],
    ['audience with a fragment', 'audience: https://mcp.example.com/mcp#x', /\(auth\.oauth\.audience\): a resource URI has no fragment/],
    ['introspection without client credentials', 'introspection_url: https://login.example.com/introspect', /\(auth\.oauth\.client_id\): introspection_url needs/],
    ['a skew of an hour', 'clock_skew_s: 3600', /\(auth\.oauth\.clock_skew_s\): expected an integer 0–600/],
  ])('oauth - %s - refused, named', (_, line, problem) => {
    const base = { issuer: 'issuer: https://login.example.com', audience: 'audience: https://mcp.example.com/mcp' };
    const key = line.split(':')[0] as keyof typeof base;
    const lines = { ...base, [key]: line };
    const { problems } = yaml(`auth:\n  oauth:\n${Object.values(lines).map((l) => `    ${l}\n`).join('')}`);

    expect(problems.some((message) => problem.test(message))).toBe(true);
  });

  it('oauth - issuer or audience missing - named', () => {
    expect(yaml('auth:\n  oauth:\n    required_scopes: [mcp]\n').problems).toEqual([
      expect.stringContaining('auth.oauth.issuer'),
      expect.stringContaining('auth.oauth.audience'),
    ]);
  });

  it('api_key_store - unknown value - named with the choices', () => {
    expect(yaml('auth:\n  api_key_store: redis\n').problems).toEqual([expect.stringContaining('(auth.api_key_store): expected one of config, postgres')]);
  });

  it('assertApiKeyStore - postgres keys without Postgres persistence - a config error on auth.api_key_store', () => {
    const auth = authSchema.parse({ api_key_store: 'postgres' });

    expect(() => assertApiKeyStore(auth, 'memory')).toThrow(ConfigError);
    expect(() => assertApiKeyStore(auth, 'memory')).toThrow(/auth\.api_key_store: "postgres" needs persistence\.driver: postgres/);
    expect(() => assertApiKeyStore(auth, 'postgres')).not.toThrow();
    expect(() => assertApiKeyStore(authSchema.parse({}), 'memory')).not.toThrow();
    expect(() => assertApiKeyStore(undefined, 'memory')).not.toThrow();
  });
});

import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, type LoadOptions } from '../../../src/infrastructure/config/config-loader.js';
import { DEFAULT_ALLOWED_COMMANDS, DEFAULT_BLOCKED_COMMANDS } from '../../../src/infrastructure/config/config.schema.js';

const P = 'TELEMETRYFLOW_MCP_';

describe('loadConfig', () => {
  let cwd: string;

  beforeEach(async () => {
    cwd = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-config-')));
  });

  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  const load = (options: Partial<LoadOptions> = {}) => loadConfig({ env: {}, cwd, version: '9.9.9', ...options });

  function configError(fn: () => unknown): ConfigError {
    try {
      fn();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError, nothing was thrown');
  }

  const yaml = (text: string, file = 'tfo-mcp.yaml') => writeFile(path.join(cwd, file), text);

  it('no file, no env - the documented defaults, version from the caller, roots = [cwd]', () => {
    const config = load();

    expect(config.server).toEqual({
      name: 'tfo-mcp',
      version: '9.9.9',
      transport: 'stdio',
      http: {
        host: '127.0.0.1',
        port: 8080,
        allow_insecure_remote: false,
        allowed_hosts: [],
        allowed_origins: [],
        max_body_bytes: 4194304,
        request_timeout_ms: 300000,
        max_sessions: 10000,
        max_sessions_per_client: 100,
        session_idle_ms: 1800000,
        init_timeout_ms: 10000,
        headers_timeout_ms: 10000,
        body_timeout_ms: 30000,
        idle_timeout_ms: 65000,
        max_connections: 1024,
        sse_keepalive_ms: 15000,
        sse_retry_ms: 1000,
        legacy_sse: true,
        response_mode: 'auto',
        event_retention: 1000,
      },
    });
    expect(config.mcp).toMatchObject({
      roots: [cwd],
      page_size: 100,
      max_message_bytes: 4 * 1024 * 1024,
      client_log_level: 'info',
      capabilities: { tools: true, resources: true, prompts: true, logging: true, completions: true },
      timeouts: { tool_ms: 120_000, shutdown_ms: 5_000 },
    });
    expect(config.logging).toEqual({ level: 'info', format: 'json' });
    expect(config.security.allowed_commands).toEqual(DEFAULT_ALLOWED_COMMANDS);
    expect(config.security.blocked_commands).toEqual(DEFAULT_BLOCKED_COMMANDS);
    expect(config.security.allow_shell).toBe(false);
    expect(config.security).toMatchObject({
      max_file_bytes: 10 * 1024 * 1024,
      max_read_bytes: 2 * 1024 * 1024,
      max_read_bytes_in_flight: 32 * 1024 * 1024,
      max_read_bytes_in_flight_per_session: 16 * 1024 * 1024,
      max_concurrent_executions: 16,
      max_concurrent_executions_per_session: 4,
      allow_hardlink_writes: false,
      unreviewed_commands: [],
    });
    expect(config.events).toMatchObject({ driver: 'memory', relay_max_attempts: 10 });
    expect(config.persistence).toEqual({
      driver: 'memory',
      closed_session_retention: 1000,
      postgres: { url: 'postgres://tfo:tfo@127.0.0.1:5432/tfo_mcp', pool_max: 10, statement_timeout_ms: 10000, migrate_on_start: true },
    });
    expect(config.cache).toMatchObject({ driver: 'memory', ttl_ms: 0 });
    expect(config.analytics.driver).toBe('none');
    expect(config.claude.api_key).toBeUndefined();
  });

  it.each([
    ['0.0.0.0', false, 'refused'],
    ['192.168.1.10', false, 'refused'],
    ['0.0.0.0', true, 'allowed'],
    ['127.0.0.1', false, 'allowed'],
    ['::1', false, 'allowed'],
    ['localhost', false, 'allowed'],
  ])('server.http.host %s with allow_insecure_remote=%s - %s', (host, insecure, verdict) => {
    const attempt = () =>
      load({ env: { TELEMETRYFLOW_MCP_SERVER__HTTP__HOST: host, TELEMETRYFLOW_MCP_SERVER__HTTP__ALLOW_INSECURE_REMOTE: String(insecure) } });
    if (verdict === 'refused') {
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(`${P}SERVER__HTTP__HOST="${host}" (server.http.host): refusing to listen on non-loopback address`);
    } else {
      expect(attempt().server.http.host).toBe(host);
    }
  });

  it('./tfo-mcp.yaml present - overrides the defaults it names and keeps the others', async () => {
    await yaml('logging:\n  level: debug\nmcp:\n  page_size: 10\n  timeouts:\n    tool_ms: 9000\n');

    const config = load();

    expect(config.logging).toEqual({ level: 'debug', format: 'json' });
    expect(config.mcp.page_size).toBe(10);
    expect(config.mcp.timeouts).toEqual({ tool_ms: 9000, shutdown_ms: 5_000 });
  });

  it('--config relative path - read relative to cwd, and ./tfo-mcp.yaml is then ignored', async () => {
    await yaml('server:\n  name: from-default-file\n');
    await mkdir(path.join(cwd, 'conf'));
    await yaml('server:\n  name: from-flag\n', 'conf/custom.yaml');

    expect(load({ configPath: 'conf/custom.yaml' }).server.name).toBe('from-flag');
  });

  it('empty YAML file - same as no file', async () => {
    await yaml('');
    expect(load().mcp.page_size).toBe(100);
  });

  it('environment - overrides YAML; YAML keys it does not name survive (deep merge)', async () => {
    await yaml('logging:\n  level: debug\n  format: text\n');

    const config = load({ env: { [`${P}LOGGING__LEVEL`]: 'error' } });

    expect(config.logging).toEqual({ level: 'error', format: 'text' });
  });

  it('environment - nested keys with __ and numbers coerced', () => {
    const config = load({
      env: { [`${P}MCP__TIMEOUTS__TOOL_MS`]: '5000', [`${P}MCP__PAGE_SIZE`]: ' 25 ', [`${P}EVENTS__RELAY_BATCH_SIZE`]: '7' },
    });

    expect(config.mcp.timeouts.tool_ms).toBe(5000);
    expect(config.mcp.page_size).toBe(25);
    expect(config.events.relay_batch_size).toBe(7);
  });

  it.each([
    ['JSON array', '["ls","cat"]', ['ls', 'cat']],
    ['comma-separated with blanks', ' ls, cat ,echo ', ['ls', 'cat', 'echo']],
    ['single item', 'ls', ['ls']],
    ['empty string', '', []],
  ])('environment - list as %s - parsed to a string array', (_, value, expected) => {
    expect(load({ env: { [`${P}SECURITY__ALLOWED_COMMANDS`]: value } }).security.allowed_commands).toEqual(expected);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['TRUE', true],
    ['False', false],
  ])('environment - boolean %j - becomes %s', (value, expected) => {
    const config = load({ env: { [`${P}SECURITY__ALLOW_SHELL`]: value, [`${P}MCP__CAPABILITIES__TOOLS`]: value } });
    expect(config.security.allow_shell).toBe(expected);
    expect(config.mcp.capabilities.tools).toBe(expected);
  });

  it('environment - variables without the prefix, or undefined, are ignored', () => {
    const config = load({ env: { LOGGING__LEVEL: 'debug', TELEMETRYFLOW_LOGGING__LEVEL: 'debug', [`${P}LOGGING__FORMAT`]: undefined } });
    expect(config.logging).toEqual({ level: 'info', format: 'json' });
  });

  it('environment - secrets like the Claude API key are read', () => {
    expect(load({ env: { [`${P}CLAUDE__API_KEY`]: 'sk-ant-test' } }).claude.api_key).toBe('sk-ant-test');
  });

  it('flags (command line) - beat the environment', () => {
    const config = load({ env: { [`${P}SERVER__HTTP__PORT`]: '9000' }, flags: [{ flag: '--port', key: 'server.http.port', value: '9001' }] });
    expect(config.server.http.port).toBe(9001);
  });

  it('version in YAML - wins over the caller version', async () => {
    await yaml('server:\n  version: "2.0.0"\n');
    expect(load().server.version).toBe('2.0.0');
  });

  it.each([
    ['top-level section', { [`${P}BOGUS`]: '1' }, 'bogus'],
    ['key inside a section', { [`${P}LOGGING__COLOUR`]: 'red' }, 'colour'],
    ['nested section key', { [`${P}MCP__CAPABILITIES__SAMPLING`]: 'true' }, 'sampling'],
  ])('unknown %s in env - ConfigError naming the key', (_, env, name) => {
    const error = configError(() => load({ env }));
    expect(error.message).toContain(name);
    expect(error.message).toMatch(/unknown (key|section)/);
  });

  it('unknown key in YAML - ConfigError naming the key and its section', async () => {
    await yaml('logging:\n  level: info\n  colour: red\n');

    const error = configError(() => load());

    expect(error.key).toBe('logging.colour');
    expect(error.message).toContain('"colour"');
  });

  it('unknown top-level key in YAML - ConfigError keyed by that name', async () => {
    await yaml('databse:\n  url: x\n');
    expect(configError(() => load()).key).toBe('databse');
  });

  it.each([
    [`${P}LOGGING__LEVEL`, 'verbose', 'logging.level'],
    [`${P}MCP__PAGE_SIZE`, 'abc', 'mcp.page_size'],
    [`${P}MCP__PAGE_SIZE`, '1.5', 'mcp.page_size'],
    [`${P}MCP__PAGE_SIZE`, '0', 'mcp.page_size'],
    [`${P}MCP__PAGE_SIZE`, '1001', 'mcp.page_size'],
    [`${P}MCP__TIMEOUTS__TOOL_MS`, '10', 'mcp.timeouts.tool_ms'],
    [`${P}SECURITY__ALLOW_SHELL`, 'maybe', 'security.allow_shell'],
    [`${P}MCP__CLIENT_LOG_LEVEL`, 'warn', 'mcp.client_log_level'],
    [`${P}CLAUDE__BASE_URL`, 'not a url', 'claude.base_url'],
    [`${P}EVENTS__DRIVER`, 'kafka', 'events.driver'],
    [`${P}SECURITY__ALLOWED_COMMANDS`, '["ls", ""]', 'security.allowed_commands.1'],
  ])('bad value %s=%j - ConfigError keyed by %s, naming the variable and its value', (name, value, key) => {
    const error = configError(() => load({ env: { [name]: value } }));
    expect(error.key).toBe(key);
    expect(error.message).toBe(`${name}=${JSON.stringify(value)} (${key}): ${error.problem}`);
  });

  it('bad value in YAML - ConfigError keyed by its path', async () => {
    await yaml('security:\n  max_file_bytes: lots\n');
    expect(configError(() => load()).key).toBe('security.max_file_bytes');
  });

  it('--config file missing - ConfigError keyed --config with the resolved path', () => {
    const error = configError(() => load({ configPath: 'missing.yaml' }));
    expect(error.key).toBe('--config');
    expect(error.message).toContain(path.join(cwd, 'missing.yaml'));
  });

  it('YAML that does not parse - ConfigError naming the file', async () => {
    await yaml('logging: [unclosed\n');
    const error = configError(() => load());
    expect(error.key).toBe(path.join(cwd, 'tfo-mcp.yaml'));
    expect(error.message).toMatch(/not valid YAML/);
  });

  it('YAML whose top level is a list - ConfigError', async () => {
    await yaml('- logging\n- mcp\n');
    expect(configError(() => load()).message).toMatch(/mapping of sections/);
  });

  it('roots - relative ones resolve against cwd, absolute ones are kept (normalised)', async () => {
    for (const dir of ['src', 'data', 'abs/files']) await mkdir(path.join(cwd, dir), { recursive: true });
    const config = load({ env: { [`${P}MCP__ROOTS`]: `src, ./docs/../data,${cwd}//abs/files/` } });
    expect(config.mcp.roots).toEqual([path.join(cwd, 'src'), path.join(cwd, 'data'), path.join(cwd, 'abs', 'files')]);
    expect(config.mcp.roots_source).toBe('config');
  });

  it('roots - from YAML as a list - resolved the same way', async () => {
    await mkdir(path.join(cwd, 'project'));
    await yaml('mcp:\n  roots:\n    - project\n    - /tmp\n');
    expect(load().mcp.roots).toEqual([path.join(cwd, 'project'), '/tmp']);
  });

  it('roots - one that does not exist - ConfigError on mcp.roots naming the path', () => {
    const error = configError(() => load({ env: { [`${P}MCP__ROOTS`]: '["/absolute/path/to/your/project"]' } }));
    expect(error.key).toBe('mcp.roots');
    expect(error.message).toContain('"/absolute/path/to/your/project" does not exist');
  });

  it('roots - one that is a file - ConfigError on mcp.roots naming the path', async () => {
    await writeFile(path.join(cwd, 'file.txt'), 'x');
    expect(configError(() => load({ env: { [`${P}MCP__ROOTS`]: 'file.txt' } })).message).toContain(`"${path.join(cwd, 'file.txt')}" is not a directory`);
  });

  it('roots - not set, started in "/" - no roots, and the reason names mcp.roots', () => {
    const config = loadConfig({ env: {}, cwd: '/', home: '/home/someone', version: '1' });
    expect(config.mcp.roots).toEqual([]);
    expect(config.mcp.roots_source).toBe('none');
    expect(config.mcp.roots_note).toMatch(/"\/" is the file system root.*mcp\.roots/);
  });

  it('roots - not set, started in the home directory - no roots', () => {
    const config = loadConfig({ env: {}, cwd, home: cwd, version: '1' });
    expect(config.mcp.roots).toEqual([]);
    expect(config.mcp.roots_note).toContain('home directory');
  });

  it('roots - not set, started in a project directory - the working directory', () => {
    const config = load();
    expect(config.mcp.roots).toEqual([cwd]);
    expect(config.mcp.roots_source).toBe('working-directory');
  });

  it('roots - set to an empty list - ConfigError on mcp.roots', () => {
    expect(configError(() => load({ env: { [`${P}MCP__ROOTS`]: '' } })).key).toBe('mcp.roots');
  });

  it('result - deeply frozen', () => {
    const config = load();

    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.mcp)).toBe(true);
    expect(Object.isFrozen(config.mcp.roots)).toBe(true);
    expect(Object.isFrozen(config.security.allowed_commands)).toBe(true);
    expect(() => {
      (config.logging as { level: string }).level = 'debug';
    }).toThrow(TypeError);
    expect(() => {
      (config.security.allowed_commands as string[]).push('rm');
    }).toThrow(TypeError);
  });

  it('two loads - independent results (defaults are not shared mutable state)', () => {
    const a = load({ env: { [`${P}SECURITY__ALLOWED_COMMANDS`]: 'ls' } });
    const b = load();
    expect(a.security.allowed_commands).toEqual(['ls']);
    expect(b.security.allowed_commands).toEqual(DEFAULT_ALLOWED_COMMANDS);
  });
});

import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, type ConfigFlag, type LoadOptions } from '../../../src/infrastructure/config/config-loader.js';

const P = 'TELEMETRYFLOW_MCP_';
const PORT_RANGE = 'expected an integer 1–65535 (or 0 for any free port)';

describe('loadConfig errors - each names the key and where its value came from', () => {
  let cwd: string;

  beforeEach(async () => {
    cwd = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-config-errors-')));
  });

  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  const load = (options: Partial<LoadOptions> = {}) => loadConfig({ env: {}, cwd, version: '1.0.0', ...options });
  const yaml = (text: string, file = 'tfo-mcp.yaml') => writeFile(path.join(cwd, file), text);
  const port = (value: string): ConfigFlag => ({ flag: '--port', key: 'server.http.port', value });

  function configError(options: Partial<LoadOptions> = {}): ConfigError {
    try {
      load(options);
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError, nothing was thrown');
  }

  describe('environment', () => {
    it('port "abc" - the variable, its value, the key and the range', () => {
      const error = configError({ env: { [`${P}SERVER__HTTP__PORT`]: 'abc' } });
      expect(error.message).toBe(`${P}SERVER__HTTP__PORT="abc" (server.http.port): ${PORT_RANGE}`);
      expect(error.key).toBe('server.http.port');
    });

    it.each([
      ['MCP__PAGE_SIZE', '1.5', 'expected an integer 1–1000'],
      ['MCP__PAGE_SIZE', '1001', 'expected an integer 1–1000'],
      ['MCP__PAGE_SIZE', 'ten', 'expected an integer 1–1000'],
      ['LOGGING__LEVEL', 'verbose', 'expected one of error, warn, info, debug'],
      ['SECURITY__ALLOW_SHELL', 'maybe', 'expected true or false'],
      ['CLAUDE__BASE_URL', 'not a url', 'expected a URL such as https://host:port'],
      ['LOGGING', 'debug', 'expected a section of keys, not a single value'],
    ])('%s=%j - says %j', (name, value, problem) => {
      expect(configError({ env: { [`${P}${name}`]: value } }).problem).toBe(problem);
    });

    it('misspelt section - names the variable and suggests the section', () => {
      expect(configError({ env: { [`${P}LOGGIN__LEVEL`]: 'debug' } }).message).toBe(
        `${P}LOGGIN__LEVEL: unknown section "loggin" (did you mean logging?)`,
      );
    });

    it('misspelt key in a section - names the variable, the section and the key it resembles', () => {
      const error = configError({ env: { [`${P}SERVER__HTTP__PROT`]: '9000' } });
      expect(error.message).toBe(`${P}SERVER__HTTP__PROT: unknown key "prot" in server.http (did you mean port?)`);
      expect(error.key).toBe('server.http.prot');
    });

    it('unknown section like no known one - no suggestion', () => {
      expect(configError({ env: { [`${P}BOGUS`]: '1' } }).message).toBe(`${P}BOGUS: unknown section "bogus"`);
    });

    it('a list item - the variable holding the whole list', () => {
      expect(configError({ env: { [`${P}SECURITY__ALLOWED_COMMANDS`]: '["ls", ""]' } }).message).toBe(
        `${P}SECURITY__ALLOWED_COMMANDS="[\\"ls\\", \\"\\"]" (security.allowed_commands.1): must not be empty`,
      );
    });

    it('a long value - quoted and shortened', () => {
      const message = configError({ env: { [`${P}LOGGING__LEVEL`]: 'x'.repeat(500) } }).message;
      expect(message).toMatch(new RegExp(`^${P}LOGGING__LEVEL="x+…" \\(logging.level\\): expected one of`));
      expect(message.length).toBeLessThan(200);
    });

    it('a URL with credentials - the value is hidden', () => {
      const message = configError({ env: { [`${P}CLAUDE__BASE_URL`]: 'https://user:s3cret@bad host' } }).message;
      expect(message).toBe(`${P}CLAUDE__BASE_URL (value hidden) (claude.base_url): expected a URL such as https://host:port`);
      expect(message).not.toContain('s3cret');
    });
  });

  describe('YAML file', () => {
    it('bad value - file, line of the key, the key, the problem and the value', async () => {
      await yaml('# tfo-mcp\nserver:\n  transport: http\n  http:\n    port: abc\n');
      expect(configError().message).toBe(`tfo-mcp.yaml line 5 (server.http.port): ${PORT_RANGE}, got "abc"`);
    });

    it('unknown key - file and line, with a suggestion', async () => {
      await yaml('logging:\n  level: info\n  formt: text\n');
      expect(configError().message).toBe('tfo-mcp.yaml line 3: unknown key "formt" in logging (did you mean format?)');
    });

    it('bad list item - the line of that item', async () => {
      await yaml('security:\n  allowed_commands:\n    - ls\n    - ""\n');
      expect(configError().message).toBe('tfo-mcp.yaml line 4 (security.allowed_commands.1): must not be empty, got ""');
    });

    it('--config file in a subdirectory - named as given relative to the working directory', async () => {
      await mkdir(path.join(cwd, 'conf'));
      await yaml('logging:\n  level: loud\n', 'conf/custom.yaml');
      expect(configError({ configPath: 'conf/custom.yaml' }).message).toBe(
        'conf/custom.yaml line 2 (logging.level): expected one of error, warn, info, debug, got "loud"',
      );
    });

    it('a secret key with a bad value - the value is not echoed', async () => {
      await yaml('analytics:\n  clickhouse:\n    password: 123456\n');
      const message = configError().message;
      expect(message).toBe('tfo-mcp.yaml line 3 (analytics.clickhouse.password): expected text');
      expect(message).not.toContain('123456');
    });

    it('YAML that does not parse - the file and the line', async () => {
      await yaml('logging:\n  level: info\n  format: [unclosed\n');
      const error = configError();
      expect(error.message).toMatch(/^tfo-mcp\.yaml line \d: not valid YAML \(/);
      expect(error.key).toBe(path.join(cwd, 'tfo-mcp.yaml'));
    });

    it('--config file missing - the flag and its value', () => {
      expect(configError({ configPath: 'missing.yaml' }).message).toBe(`--config "missing.yaml": file not found: ${path.join(cwd, 'missing.yaml')}`);
    });
  });

  describe('flags and precedence', () => {
    it.each([
      ['abc', `--port "abc" (server.http.port): ${PORT_RANGE}`],
      ['70000', `--port "70000" (server.http.port): ${PORT_RANGE}`],
    ])('--port %s - names the flag and its value', (value, message) => {
      expect(configError({ flags: [port(value)] }).message).toBe(message);
    });

    it('bad in the file, bad in the environment, bad flag - the flag is named', async () => {
      await yaml('server:\n  http:\n    port: abc\n');
      expect(configError({ env: { [`${P}SERVER__HTTP__PORT`]: 'xyz' }, flags: [port('-1')] }).message).toBe(`--port "-1" (server.http.port): ${PORT_RANGE}`);
    });

    it('bad in the file and in the environment - the environment is named', async () => {
      await yaml('server:\n  http:\n    port: abc\n');
      expect(configError({ env: { [`${P}SERVER__HTTP__PORT`]: 'xyz' } }).message).toMatch(new RegExp(`^${P}SERVER__HTTP__PORT="xyz"`));
    });

    it('bad in the file, fixed by a flag - loads', async () => {
      await yaml('server:\n  http:\n    port: abc\n');
      expect(load({ flags: [port('9000')] }).server.http.port).toBe(9000);
    });
  });

  describe('checks after parsing get the same naming', () => {
    it.each([
      ['a flag', { flags: [{ flag: '--host', key: 'server.http.host', value: '0.0.0.0' }] }, '--host "0.0.0.0" (server.http.host): refusing'],
      ['the environment', { env: { [`${P}SERVER__HTTP__HOST`]: '0.0.0.0' } }, `${P}SERVER__HTTP__HOST="0.0.0.0" (server.http.host): refusing`],
    ])('non-loopback host from %s', (_, options, start) => {
      expect(configError(options).message.startsWith(start)).toBe(true);
    });

    it('non-loopback host from the file - file and line', async () => {
      await yaml('server:\n  http:\n    host: 0.0.0.0\n');
      expect(configError().message.startsWith('tfo-mcp.yaml line 3 (server.http.host): refusing')).toBe(true);
    });

    it('a root that does not exist - the variable that set mcp.roots', () => {
      const error = configError({ env: { [`${P}MCP__ROOTS`]: '/no/such/root' } });
      expect(error.message).toBe(`${P}MCP__ROOTS="/no/such/root" (mcp.roots): the root "/no/such/root" does not exist`);
      expect(error.key).toBe('mcp.roots');
    });
  });

  describe('several problems', () => {
    it('all are reported, one per line, the first as key', async () => {
      await yaml('logging:\n  level: loud\n');
      const error = configError({ env: { [`${P}SERVER__HTTP__PORT`]: 'abc', [`${P}LOGGIN__FORMAT`]: 'text' } });

      expect(error.problems).toHaveLength(3);
      expect(error.message.split('\n')).toEqual([
        '3 problems:',
        `  ${P}SERVER__HTTP__PORT="abc" (server.http.port): ${PORT_RANGE}`,
        '  tfo-mcp.yaml line 2 (logging.level): expected one of error, warn, info, debug, got "loud"',
        `  ${P}LOGGIN__FORMAT: unknown section "loggin" (did you mean logging?)`,
      ]);
    });

    it('more than ten - ten listed and the rest counted', () => {
      const env = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`${P}UNKNOWN${i}`, 'x']));
      const lines = configError({ env }).message.split('\n');
      expect(lines[0]).toBe('12 problems:');
      expect(lines).toHaveLength(12);
      expect(lines[11]).toBe('  … and 2 more');
    });
  });

  it('ConfigError built by hand - the old shape still works', () => {
    const error = new ConfigError('mcp.roots', 'at least one root directory is required');
    expect(error.message).toBe('mcp.roots: at least one root directory is required');
    expect(error.key).toBe('mcp.roots');
    expect(error.problems).toEqual([error]);
  });
});

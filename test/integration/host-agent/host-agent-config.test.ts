import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli, UsageError } from '../../../src/presentation/cli/cli-arguments.js';
import { ConfigError } from '../../../src/infrastructure/config/config-error.js';
import { loadHostAgentConfig } from '../../../src/infrastructure/execution/host-agent/host-agent-config.js';
import { maskArgv } from '../../../src/infrastructure/execution/host-agent/host-agent-audit.js';
import { RequestAuthenticator } from '../../../src/infrastructure/execution/host-agent/request-authenticator.js';
import { signedHeaders } from '../../../src/infrastructure/execution/host-agent/host-agent-protocol.js';
import { readSecret } from '../../../src/infrastructure/execution/host-agent/secret-file.js';

describe('tfo-mcp host-agent: command line', () => {
  it('parseCli - host-agent with its flags - the host-agent command', () => {
    expect(parseCli(['host-agent', '--secret-file', '/s', '--listen', 'unix:///run/a.sock', '-c', 'a.yaml'])).toMatchObject({
      kind: 'host-agent',
      secretFile: '/s',
      listen: 'unix:///run/a.sock',
      configPath: 'a.yaml',
    });
  });

  it('parseCli - agent flags on the server, server flags on the agent - usage errors', () => {
    expect(() => parseCli(['--secret-file', '/s'])).toThrow(UsageError);
    expect(() => parseCli(['host-agent', '--port', '9000'])).toThrow(UsageError);
  });
});

describe('host agent configuration', () => {
  const base = { env: {}, cwd: '/tmp', secretFile: '/run/secret' };

  it('load - defaults - unix socket, nothing allowed, stderr audit', () => {
    const config = loadHostAgentConfig(base);
    expect(config).toMatchObject({ listen: 'unix:///run/tfo-mcp/host-agent.sock', audit_log: 'stderr', security: { allowed_commands: [], allow_shell: false } });
  });

  it('load - TELEMETRYFLOW_MCP_HOST_AGENT__* variables - read, other sections ignored', () => {
    const config = loadHostAgentConfig({
      ...base,
      env: { TELEMETRYFLOW_MCP_HOST_AGENT__SECURITY__ALLOWED_COMMANDS: 'echo,cat', TELEMETRYFLOW_MCP_SERVER__TRANSPORT: 'http', TELEMETRYFLOW_MCP_HOST_AGENT__MAX_CONCURRENT: '3' },
    });
    expect(config.security.allowed_commands).toEqual(['echo', 'cat']);
    expect(config.max_concurrent).toBe(3);
  });

  it.each([
    ['http://0.0.0.0:7000', 'host_agent.listen'],
    ['http://192.168.1.5:7000', 'host_agent.listen'],
    ['unix://relative.sock', 'host_agent.listen'],
  ])('load - listen %s - refused naming %s', (listen, key) => {
    expect(() => loadHostAgentConfig({ ...base, listen })).toThrow(expect.objectContaining({ key }));
  });

  it('load - no secret file - refused naming host_agent.secret_file', () => {
    expect(() => loadHostAgentConfig({ env: {}, cwd: '/tmp' })).toThrow(ConfigError);
    expect(() => loadHostAgentConfig({ env: {}, cwd: '/tmp' })).toThrow(expect.objectContaining({ key: 'host_agent.secret_file' }));
  });

  it('load - unknown key in host_agent - refused naming it', () => {
    expect(() => loadHostAgentConfig({ ...base, env: { TELEMETRYFLOW_MCP_HOST_AGENT__ALLOWED_COMMANDS: 'echo' } })).toThrow(/host_agent/);
  });
});

describe('host agent secret file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfo-secret-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('readSecret - 31 bytes - refused, and the error does not contain the value', () => {
    const file = join(dir, 's');
    writeFileSync(file, 'x'.repeat(30) + 'Z\n');
    expect(() => readSecret(file, 'host_agent.secret_file')).toThrow(/31 bytes; at least 32/);
    try {
      readSecret(file, 'k');
    } catch (error) {
      expect((error as Error).message).not.toContain('xxxxZ');
    }
  });

  it('readSecret - 32 bytes plus a newline - accepted, newline dropped', () => {
    const file = join(dir, 's');
    writeFileSync(file, `${'k'.repeat(32)}\n`);
    expect(readSecret(file, 'k').length).toBe(32);
  });
});

describe('RequestAuthenticator nonce store', () => {
  const secret = Buffer.from('s'.repeat(32));
  const check = (auth: RequestAuthenticator, now: number) => {
    const headers = signedHeaders('GET', '/v1/health', Buffer.alloc(0), secret, now);
    return auth.check('GET', '/v1/health', headers, Buffer.alloc(0));
  };

  it('check - store full within the window - refuses new requests instead of forgetting nonces', () => {
    let now = 1_000_000;
    const auth = new RequestAuthenticator(secret, { windowMs: 30_000, maxNonces: 100, now: () => now });
    for (let i = 0; i < 100; i += 1) expect(check(auth, now)).toBeUndefined();
    expect(check(auth, now)).toBe('nonce_store_full');
    now += 60_001;
    // Every remembered nonce is now too old to pass the window, so forgetting them is safe.
    expect(check(auth, now)).toBeUndefined();
  });
});

describe('maskArgv', () => {
  it.each([
    [['--password=p1'], ['--password=[masked]']],
    [['--api-key', 'k1', 'file'], ['--api-key', '[masked]', 'file']],
    [['DB_PASSWORD=p2'], ['DB_PASSWORD=[masked]']],
    [['-n', '5', 'notes.txt'], ['-n', '5', 'notes.txt']],
  ])('maskArgv(%j) = %j', (argv, masked) => {
    expect(maskArgv(argv)).toEqual(masked);
  });

  it('maskArgv - URL with credentials - userinfo redacted', () => {
    expect(maskArgv(['https://bob:pw@example.test/x'])[0]).not.toContain('pw@');
  });
});

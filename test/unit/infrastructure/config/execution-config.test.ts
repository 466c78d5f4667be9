import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, type LoadOptions } from '../../../../src/infrastructure/config/config-loader.js';
import { deprecationMessages } from '../../../../src/infrastructure/config/execution-config.js';
import { DEFAULT_REFUSED_ENV } from '../../../../src/infrastructure/config/execution.schema.js';
import { redactConfig } from '../../../../src/infrastructure/config/redact.js';
import { changedKeys } from '../../../../src/infrastructure/config/config-reload.js';

const P = 'TELEMETRYFLOW_MCP_';

describe('execution configuration', () => {
  let cwd: string;

  beforeEach(async () => {
    cwd = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-exec-config-')));
  });

  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  const load = (options: Partial<LoadOptions> = {}) => loadConfig({ env: {}, cwd, version: '1.0.0', ...options });
  const yaml = (text: string) => writeFile(path.join(cwd, 'tfo-mcp.yaml'), text);

  function problemKeys(fn: () => unknown): string[] {
    try {
      fn();
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.map((problem) => problem.key);
      throw error;
    }
    throw new Error('expected a ConfigError, nothing was thrown');
  }

  it('defaults - native backend, docker network none and non-root user, ssh least_busy, refused env list, no deprecations', () => {
    const config = load();

    expect(config.execution.backend).toBe('native');
    expect(config.execution.docker).toEqual({ host: 'unix:///var/run/docker.sock', network: 'none', user: '65534:65534' });
    expect(config.execution.ssh).toEqual({ hosts: [], strategy: 'least_busy' });
    expect(config.execution.security.env_refused).toEqual(DEFAULT_REFUSED_ENV);
    expect(config.execution.security.overrides).toEqual({});
    expect(config.deprecations).toEqual([]);
  });

  it('docker.host - default from DOCKER_HOST', () => {
    expect(load({ env: { DOCKER_HOST: 'unix:///run/podman/podman.sock' } }).execution.docker.host).toBe('unix:///run/podman/podman.sock');
  });

  it('sizes - max_memory and docker.memory accept bytes or k/m/g', () => {
    const config = load({ env: { [`${P}EXECUTION__SECURITY__MAX_MEMORY`]: '512m', [`${P}EXECUTION__DOCKER__MEMORY`]: '1g' } });

    expect(config.execution.security.max_memory).toBe(512 * 2 ** 20);
    expect(config.execution.docker.memory).toBe(2 ** 30);
  });

  it('ssh hosts - parsed with port and max_concurrent defaults', async () => {
    await yaml(
      'execution:\n  backend: ssh\n  ssh:\n    strategy: round_robin\n    hosts:\n' +
        '      - { host: 127.0.0.1, user: runner, private_key_path: /k, host_key: "SHA256:abc" }\n',
    );

    const { ssh } = load().execution;

    expect(ssh.strategy).toBe('round_robin');
    expect(ssh.hosts).toEqual([{ host: '127.0.0.1', port: 22, user: 'runner', private_key_path: '/k', host_key: 'SHA256:abc', max_concurrent: 4 }]);
  });

  it.each([
    ['docker', 'execution.docker.image'],
    ['ssh', 'execution.ssh.hosts'],
    ['host_agent', 'execution.host_agent.url'],
  ])('backend %s without its required settings - ConfigError naming %s', (backend, key) => {
    expect(problemKeys(() => load({ env: { [`${P}EXECUTION__BACKEND`]: backend } }))).toEqual([key]);
  });

  it.each([
    [{ [`${P}EXECUTION__BACKEND`]: 'kubernetes' }, 'execution.backend'],
    [{ [`${P}EXECUTION__HOST_AGENT__URL`]: 'http://10.0.0.5:9000' }, 'execution.host_agent.url'],
    [{ [`${P}EXECUTION__SECURITY__MAX_MEMORY`]: 'lots' }, 'execution.security.max_memory'],
    [{ [`${P}EXECUTION__SECURITY__MAX_CPU`]: '0' }, 'execution.security.max_cpu'],
    [{ [`${P}EXECUTION__SECURITY__OVERRIDES__LAMBDA__ALLOW_SHELL`]: 'true' }, 'execution.security.overrides.lambda'],
  ])('bad value %j - ConfigError naming %s', (env, key) => {
    expect(problemKeys(() => load({ env }))).toEqual([key]);
  });

  it('overrides - per-backend keys without defaults (unset keys stay unset)', () => {
    const config = load({ env: { [`${P}EXECUTION__SECURITY__OVERRIDES__DOCKER__ALLOWED_COMMANDS`]: '*' } });

    expect(config.execution.security.overrides).toEqual({ docker: { allowed_commands: ['*'] } });
  });

  describe('the deprecated security section', () => {
    it('a key set only there - applies under execution.security, reported as moved', async () => {
      await yaml('security:\n  allow_shell: true\n  max_output_bytes: 4096\n');

      const config = load();

      expect(config.execution.security.allow_shell).toBe(true);
      expect(config.execution.security.max_output_bytes).toBe(4096);
      expect(config.execution.security.blocked_commands).toContain('rm');
      expect(config.deprecations).toEqual([
        { key: 'security.allow_shell', movedTo: 'execution.security.allow_shell', ignored: false },
        { key: 'security.max_output_bytes', movedTo: 'execution.security.max_output_bytes', ignored: false },
      ]);
      expect(deprecationMessages(config.deprecations)[0]).toBe(
        'security.allow_shell is deprecated: move it to execution.security.allow_shell (the old section is read for one more release)',
      );
    });

    it('a key set in both places - the new one wins, reported as ignored', async () => {
      await yaml('security:\n  allow_shell: true\nexecution:\n  security:\n    allow_shell: false\n');

      const config = load();

      expect(config.execution.security.allow_shell).toBe(false);
      expect(config.deprecations).toEqual([{ key: 'security.allow_shell', movedTo: 'execution.security.allow_shell', ignored: true }]);
      expect(deprecationMessages(config.deprecations)[0]).toMatch(/ignored: execution\.security\.allow_shell is also set and wins/);
    });

    it('by environment - moved like the file', () => {
      const config = load({ env: { [`${P}SECURITY__ALLOWED_COMMANDS`]: 'ls,cat' } });

      expect(config.execution.security.allowed_commands).toEqual(['ls', 'cat']);
      expect(config.deprecations.map((d) => d.key)).toEqual(['security.allowed_commands']);
    });

    it('a bad value there - ConfigError names the old key', async () => {
      await yaml('security:\n  max_file_bytes: lots\n');

      expect(problemKeys(() => load())).toEqual(['security.max_file_bytes']);
    });

    it('config.security - the same object as execution.security, hidden from print and from reload comparison', () => {
      const config = load();

      expect(config.security).toBe(config.execution.security);
      expect(Object.keys(redactConfig(config) as object)).not.toContain('security');
      expect(Object.keys(config)).not.toContain('deprecations');
      expect(changedKeys(config, load({ env: { [`${P}EXECUTION__BACKEND`]: 'native' } }))).toEqual([]);
    });
  });
});

import { readFile, writeFile, chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DockerExecutor } from '../../../src/infrastructure/execution/docker/docker-executor.js';
import { RecordingLogger } from '../../support/builders.js';
import { dockerEnv, dockerExecutor, leftoverContainers, readableRoot, runRequest } from './docker-test-support.js';

// The docker backend against podman's Docker-compatible service (scripts/services.sh): what a run
// sees and may do. Resource limits and stopping are in docker-resources.test.ts.
const { executor } = dockerExecutor();
let root: string;

beforeAll(async () => {
  root = await readableRoot('tfo-docker-root-');
  await writeFile(join(root, 'data.txt'), 'from the host\n');
  await chmod(join(root, 'data.txt'), 0o644);
});

afterAll(async () => {
  await executor.shutdown();
  await rm(root, { recursive: true, force: true });
});

describe('DockerExecutor runs argv in a container', () => {
  it('passes every argument as one word, with no shell to interpret quotes, substitutions or newlines', async () => {
    const args = ['a b', '$(id)', '`id`', "'single'", '"double"', ';', '&&', 'x\ny', '*', '$HOME', '-n'];
    const result = await executor.execute(runRequest('printf', ['%s\\0', ...args]));
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(args);
  });

  it('reports the exit code of the program and of a shell the policy allowed', async () => {
    expect((await executor.execute(runRequest('false'))).exitCode).toBe(1);
    const shell = await executor.execute(runRequest('echo to-stderr >&2; exit 7', [], { shell: true }));
    expect(shell).toMatchObject({ exitCode: 7, signal: null, stderr: 'to-stderr\n', timedOut: false, cancelled: false });
  });

  it('gives the program exactly the request env: nothing of the server, only what the engine itself sets', async () => {
    process.env.TFO_DOCKER_SERVER_SECRET = 'must-not-leak';
    try {
      const result = await executor.execute(runRequest('env', [], { env: { FOO: 'bar baz', EMPTY: '' } }));
      const vars = new Map(result.stdout.trim().split('\n').map((line) => [line.split('=')[0], line.slice(line.indexOf('=') + 1)]));
      expect(vars.get('FOO')).toBe('bar baz');
      expect(vars.get('EMPTY')).toBe('');
      expect(result.stdout).not.toContain('must-not-leak');
      const engineSet = new Set(['PATH', 'HOSTNAME', 'HOME', 'TERM', 'container']);
      expect([...vars.keys()].filter((key) => key !== 'FOO' && key !== 'EMPTY' && !engineSet.has(key))).toEqual([]);
    } finally {
      delete process.env.TFO_DOCKER_SERVER_SECRET;
    }
  });

  it('runs as the configured non-root user with no capabilities and no privilege gain', async () => {
    const result = await executor.execute(runRequest('sh', ['-c', 'id -u; id -g; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status']));
    expect(result.stdout).toBe('65534\n65534\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n');
  });

  it('feeds stdin without giving the argv to a shell', async () => {
    const result = await executor.execute(runRequest('cat', [], { stdin: 'line one\n$(id) `id`\n' }));
    expect(result).toMatchObject({ exitCode: 0, stdout: 'line one\n$(id) `id`\n' });
  });

  it('rejects a program that is not in the image with ENOENT, as native does, and removes the container', async () => {
    await expect(executor.execute(runRequest('no-such-program'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(executor.execute(runRequest('/etc/passwd'))).rejects.toMatchObject({ code: 'EACCES' });
    expect(await leftoverContainers()).toEqual([]);
  });
});

describe('DockerExecutor confines the filesystem and the network', () => {
  it('cannot write its root; /tmp is a private writable tmpfs', async () => {
    const result = await executor.execute(runRequest('sh', ['-c', 'touch /etc/x; echo "root=$?"; touch /tmp/x && echo tmp=ok']));
    expect(result.stdout).toBe('root=1\ntmp=ok\n');
    expect(result.stderr).toContain('Read-only file system');
  });

  it('mounts the roots at their own paths, read-only, and starts in the request cwd', async () => {
    const result = await executor.execute(runRequest('sh', ['-c', 'pwd; cat data.txt; touch new.txt; echo "write=$?"'], { cwd: root, roots: [root] }));
    expect(result.stdout).toBe(`${root}\nfrom the host\nwrite=1\n`);
    expect(result.stderr).toContain('Read-only file system');
    await expect(readFile(join(root, 'new.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('mounts the roots writable only when the policy says so', async () => {
    await chmod(root, 0o777);
    try {
      const result = await executor.execute(runRequest('sh', ['-c', 'echo written > out.txt'], { cwd: root, roots: [root], writableRoots: true }));
      expect(result.exitCode).toBe(0);
      expect(await readFile(join(root, 'out.txt'), 'utf8')).toBe('written\n');
    } finally {
      await chmod(root, 0o755);
    }
  });

  it('sees no path of the host outside the roots', async () => {
    const result = await executor.execute(runRequest('ls', [root]));
    expect(result.exitCode).not.toBe(0);
  });

  it('has no network: a connect to a loopback port of the host fails and the host sees nothing', async () => {
    const net = await import('node:net');
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const result = await executor.execute(runRequest('sh', ['-c', `nc -w 2 127.0.0.1 ${port} </dev/null; echo "nc=$?"; ls /sys/class/net`]));
      expect(result.stdout).toBe('nc=1\nlo\n');
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('DockerExecutor health', () => {
  it('is up with the engine version and the image when both are there', async () => {
    const health = await executor.health();
    expect(health).toMatchObject({ backend: 'docker', status: 'up', details: { image: dockerEnv().image, network: 'none', image_present: true } });
    expect(String(health.details.engine)).toMatch(/^(podman|docker) \d/);
  });

  it('is degraded when the image is missing and down when the engine does not answer', async () => {
    const logger = new RecordingLogger();
    const missing = new DockerExecutor({ host: dockerEnv().host, image: 'localhost/tfo-no-such-image:latest' }, logger);
    expect(await missing.health()).toMatchObject({ status: 'degraded', details: { image_present: false } });
    await expect(missing.execute(runRequest('true'))).rejects.toMatchObject({ code: 'docker.image_missing' });
    const absent = new DockerExecutor({ host: 'unix:///nonexistent/tfo-docker.sock', image: dockerEnv().image }, logger);
    expect(await absent.health()).toMatchObject({ status: 'down' });
    await expect(absent.execute(runRequest('true'))).rejects.toMatchObject({ code: 'docker.unavailable' });
  });

  it('probes within 2 s share one answer (one pair of engine requests), a later probe asks again', async () => {
    const logger = new RecordingLogger();
    const probed = new DockerExecutor({ host: dockerEnv().host, image: dockerEnv().image }, logger);
    const first = probed.health();
    expect(probed.health()).toBe(first);
    expect(await first).toMatchObject({ status: 'up' });
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'], now: Date.now() + 2_500 });
    try {
      expect(probed.health()).not.toBe(first);
    } finally {
      jest.useRealTimers();
    }
  });
});

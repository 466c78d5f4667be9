import { describe, expect, it } from '@jest/globals';
import { containerSpec, RUN_LABEL } from '../../../src/infrastructure/execution/docker/container-spec.js';
import { engineAddress } from '../../../src/infrastructure/execution/docker/docker-executor.js';

// The container the docker backend asks for, without an engine (pure): what reaches the engine API.
const defaults = { image: 'img:1', network: 'none', user: '65534:65534', memory: 64 * 1024 * 1024 };
const base = { command: 'ls', args: ['-la', 'a b'], cwd: '/w', timeoutMs: 1000, maxOutputBytes: 10 };

describe('containerSpec', () => {
  it('asks for argv as Cmd, the request env only, and the hardening flags', () => {
    const spec = containerSpec({ ...base, env: { A: '1' }, roots: ['/w', '/x:y'] }, defaults, 'id1');
    expect(spec).toMatchObject({ Image: 'img:1', Cmd: ['ls', '-la', 'a b'], Env: ['A=1'], User: '65534:65534', WorkingDir: '/w', Labels: { [RUN_LABEL]: 'id1' }, OpenStdin: false });
    expect(spec.HostConfig).toMatchObject({
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      Mounts: [
        { Type: 'bind', Source: '/w', Target: '/w', ReadOnly: true },
        { Type: 'bind', Source: '/x:y', Target: '/x:y', ReadOnly: true },
      ],
    });
    expect(spec.HostConfig?.Ulimits).toEqual([
      { Name: 'nofile', Soft: 1024, Hard: 1024 },
      { Name: 'nproc', Soft: 8192, Hard: 8192 },
    ]);
  });

  it('wraps argv for stdin in a fixed script that never parses it, and uses /bin/sh -c only for shell requests', () => {
    expect(containerSpec({ ...base, stdin: 'x' }, defaults, 'i').Cmd).toEqual(['/bin/sh', '-c', 'exec "$@" < /.tfo-stdin', 'sh', 'ls', '-la', 'a b']);
    expect(containerSpec({ ...base, command: 'echo $X', args: [], shell: true }, defaults, 'i').Cmd).toEqual(['/bin/sh', '-c', 'echo $X', 'sh']);
    expect(containerSpec({ ...base, stdin: '' }, defaults, 'i').Cmd).toEqual(['ls', '-la', 'a b']);
  });
});

describe('engineAddress', () => {
  it('reads unix sockets and plain tcp/http addresses, and refuses anything else', () => {
    expect(engineAddress('unix:///run/podman/podman.sock')).toEqual({ socketPath: '/run/podman/podman.sock' });
    expect(engineAddress('tcp://127.0.0.1:2375')).toEqual({ host: '127.0.0.1', port: 2375, protocol: 'http' });
    expect(() => engineAddress('https://user:secret@example:2376')).toThrow(expect.objectContaining({ code: 'docker.invalid_config' }));
    expect(() => engineAddress('https://user:secret@example:2376')).toThrow(/^(?!.*secret)/);
  });
});

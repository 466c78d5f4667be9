import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SshExecutor } from '../../../src/infrastructure/execution/ssh/ssh-executor.js';
import { freeLoopbackPort } from '../../support/http-server.js';
import { generateClientKey, sshdUnderTest, ThrowawaySshd, type SshdTarget } from '../../support/sshd.js';
import { executorFor, hostOf, request, sharedDir } from './ssh-test-support.js';

const run = promisify(execFile);

interface HostDetail {
  host: string;
  status: string;
  busy: number;
  runs: number;
  last_error?: string;
}

async function hostDetails(executor: SshExecutor): Promise<HostDetail[]> {
  return (await executor.health()).details.hosts as HostDetail[];
}

/**
 * The pool: host keys pinned (mismatch refused, SHA256 pins accepted), key auth only, a dead host
 * marked down and skipped, round-robin and least-busy selection, and max_concurrent refusing with a
 * retryable error. Two real sshds: the one under test and a throwaway second host.
 */
describe('SshExecutor – host pool', () => {
  let target: SshdTarget;
  let second: ThrowawaySshd;
  let work: { dir: string; remove(): Promise<void> };
  const executors: SshExecutor[] = [];
  const track = (made: ReturnType<typeof executorFor>): ReturnType<typeof executorFor> => {
    executors.push(made.executor);
    return made;
  };
  const quick = (): ReturnType<typeof request> => request(work.dir, { command: '/bin/true' });
  const long = (signal: AbortSignal): ReturnType<typeof request> => request(work.dir, { command: '/bin/sleep', args: ['30'], signal });

  beforeAll(async () => {
    target = await sshdUnderTest();
    second = await ThrowawaySshd.start({ user: target.user, clientKeyPath: target.keyPath });
    work = await sharedDir('tfo-ssh-pool-');
  });

  afterEach(async () => {
    await Promise.all(executors.splice(0).map((executor) => executor.shutdown()));
  });

  afterAll(async () => {
    await second?.stop();
    await work?.remove();
    await target?.stop();
  });

  it('host key – another server\'s key is refused before authentication, naming both fingerprints', async () => {
    const { executor } = track(executorFor([hostOf(target, { hostKey: second.hostKey })]));
    const failure = executor.execute(quick());
    await expect(failure).rejects.toMatchObject({ code: 'ssh.host_key_mismatch', retryable: false });
    await expect(failure).rejects.toThrow(/presented host key SHA256:\S+, not the pinned SHA256:/);
    expect((await hostDetails(executor))[0]).toMatchObject({ status: 'down', runs: 0 });
  });

  it('host key – a SHA256 fingerprint pin (ssh-keygen -lf) is accepted', async () => {
    const pub = `${second.keyPath}.host.pub`;
    await run('sh', ['-c', `printf '%s\\n' "$1" > "$2"`, 'sh', second.hostKey, pub]);
    const fingerprint = (await run('ssh-keygen', ['-lf', pub])).stdout.split(' ')[1]!;
    expect(fingerprint).toMatch(/^SHA256:/);
    const { executor } = track(executorFor([hostOf(second, { hostKey: fingerprint })]));
    expect((await executor.execute(quick())).exitCode).toBe(0);
  });

  it('host key – a pin that is neither a key line nor a fingerprint is a configuration error', () => {
    expect(() => executorFor([hostOf(target, { hostKey: 'trust me' })])).toThrow(expect.objectContaining({ code: 'ssh.invalid_config' }));
  });

  it('client key – a key the server does not authorize is refused (auth_failed)', async () => {
    const stranger = await generateClientKey();
    try {
      const { executor } = track(executorFor([hostOf(target, { privateKeyPath: stranger.keyPath })]));
      await expect(executor.execute(quick())).rejects.toMatchObject({ code: 'ssh.auth_failed' });
    } finally {
      await stranger.remove();
    }
  });

  it('dead host – marked down, the run goes to the live host, and later runs skip it', async () => {
    const deadPort = await freeLoopbackPort();
    const { executor, logger } = track(executorFor([hostOf(target, { port: deadPort }), hostOf(target)]));
    for (let i = 0; i < 3; i += 1) expect((await executor.execute(quick())).exitCode).toBe(0);
    const [dead, live] = await hostDetails(executor);
    expect(dead).toMatchObject({ status: 'down', runs: 0 });
    expect(dead!.last_error).toMatch(/ECONNREFUSED/);
    expect(live).toMatchObject({ status: 'up', runs: 3 });
    expect(logger.at('warn').filter((line) => line.message === 'ssh host down')).toHaveLength(1);
    expect((await executor.health()).status).toBe('degraded');
  });

  it('every host dead – the error is retryable ssh.unavailable and health is down', async () => {
    const { executor } = track(executorFor([hostOf(target, { port: await freeLoopbackPort() }), hostOf(target, { port: await freeLoopbackPort() })]));
    await expect(executor.execute(quick())).rejects.toMatchObject({ code: 'ssh.unavailable', retryable: true });
    expect((await executor.health()).status).toBe('down');
  });

  it('round_robin – sequential runs alternate between the hosts', async () => {
    const { executor } = track(executorFor([hostOf(target), hostOf(second)], { strategy: 'round_robin' }));
    const order: number[][] = [];
    for (let i = 0; i < 4; i += 1) {
      await executor.execute(quick());
      order.push((await hostDetails(executor)).map((host) => host.runs));
    }
    expect(order).toEqual([
      [1, 0],
      [1, 1],
      [2, 1],
      [2, 2],
    ]);
  });

  it('least_busy – a run goes to the host holding fewer runs', async () => {
    const { executor } = track(executorFor([hostOf(target), hostOf(second)], { strategy: 'least_busy' }));
    const controller = new AbortController();
    const holding = executor.execute(long(controller.signal));
    await waitFor(() => firstHostRuns(executor));
    await executor.execute(quick());
    await executor.execute(quick());
    const details = await hostDetails(executor);
    expect(details.map((host) => [host.busy, host.runs])).toEqual([
      [1, 1],
      [0, 2],
    ]);
    controller.abort();
    expect((await holding).cancelled).toBe(true);
    await executor.execute(quick());
    expect((await hostDetails(executor)).map((host) => host.runs)).toEqual([2, 2]);
  });

  it('max_concurrent – a full pool refuses at once with retryable ssh.busy, and takes runs again when a slot frees', async () => {
    const { executor } = track(executorFor([hostOf(target, { maxConcurrent: 1 })]));
    const controller = new AbortController();
    const holding = executor.execute(long(controller.signal));
    await waitFor(() => firstHostRuns(executor));
    const started = Date.now();
    await expect(executor.execute(quick())).rejects.toMatchObject({ code: 'ssh.busy', retryable: true });
    expect(Date.now() - started).toBeLessThan(200);
    controller.abort();
    await holding;
    expect((await executor.execute(quick())).exitCode).toBe(0);
  });

  it('reconnects – a run after the connection dropped opens a new one', async () => {
    const own = await ThrowawaySshd.start({ user: target.user, clientKeyPath: target.keyPath });
    try {
      const { executor } = track(executorFor([hostOf(own)]));
      expect((await executor.execute(quick())).exitCode).toBe(0);
      // The program's parent is `timeout`; its parent is sshd's per-connection process, running as the user.
      const dropped = executor.execute(request(work.dir, { command: '/bin/sh', args: ['-c', 'kill -KILL $(ps -o ppid= -p $PPID); sleep 5'] }));
      await expect(dropped).rejects.toMatchObject({ code: 'ssh.connection_lost' });
      expect((await hostDetails(executor))[0]!.status).toBe('down');
      expect((await executor.execute(quick())).exitCode).toBe(0);
      expect((await hostDetails(executor))[0]!.status).toBe('up');
    } finally {
      await own.stop();
    }
  });

  it('health – reports each host up with its busy count and the strategy', async () => {
    const { executor } = track(executorFor([hostOf(target), hostOf(second)], { strategy: 'least_busy' }));
    const health = await executor.health();
    expect(health).toMatchObject({ backend: 'ssh', status: 'up', details: { strategy: 'least_busy', hosts_up: 2 } });
    expect(await hostDetails(executor)).toEqual([
      expect.objectContaining({ host: `${target.user}@${target.host}:${target.port}`, status: 'up', busy: 0 }),
      expect.objectContaining({ host: `${second.user}@${second.host}:${second.port}`, status: 'up', busy: 0 }),
    ]);
  });
});

/** The long run holds the first host: counted busy and its channel open (runs counts opened channels). */
async function firstHostRuns(executor: SshExecutor): Promise<boolean> {
  const [first] = await hostDetails(executor);
  return first!.busy === 1 && first!.runs === 1;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { SshExecutor } from '../../../src/infrastructure/execution/ssh/ssh-executor.js';
import { SshExecutorError } from '../../../src/infrastructure/execution/ssh/ssh-errors.js';
import { sshdUnderTest, type SshdTarget } from '../../support/sshd.js';
import { eventuallyEmpty, executorFor, hostOf, remoteProcessesMatching, request, sharedDir, uniqueSleep } from './ssh-test-support.js';

/**
 * SshExecutor runs against a real sshd on loopback (the shared one of scripts/services.sh, or one of
 * its own): argv survives the remote shell intact, env/cwd/stdin/exit codes come through, output is
 * capped, and a timeout or a cancellation leaves no process on the host.
 */
describe('SshExecutor – runs on a real sshd', () => {
  let target: SshdTarget;
  let executor: SshExecutor;
  let work: { dir: string; remove(): Promise<void> };
  const sentinel = (): string => path.join(work.dir, 'SENTINEL');

  beforeAll(async () => {
    target = await sshdUnderTest();
    work = await sharedDir('tfo-ssh-run-');
    ({ executor } = executorFor([hostOf(target)]));
  });

  afterAll(async () => {
    await executor?.shutdown();
    await work?.remove();
    await target?.stop();
  });

  const hostile: ReadonlyArray<readonly [string, string]> = [
    ['spaces', 'a b  c'],
    ['single quote', "it's"],
    ['quote breakout', "'; touch SENTINEL; '"],
    ['double quotes', '"$(touch SENTINEL)"'],
    ['command substitution', '$(touch SENTINEL)'],
    ['backticks', '`touch SENTINEL`'],
    ['semicolon', '; touch SENTINEL'],
    ['and-chain', '&& touch SENTINEL'],
    ['pipe', '| touch SENTINEL'],
    ['redirect', '> SENTINEL'],
    ['newline', 'x\ntouch SENTINEL'],
    ['glob', '*'],
    ['tilde', '~'],
    ['variable', '$HOME ${PATH}'],
    ['backslashes', 'a\\b\\\'c'],
    ['flag-looking', '--help'],
    ['empty', ''],
    ['unicode', 'héllo – ✓'],
  ];

  it.each(hostile)('quoting – %s reaches the program as one unchanged argument and runs nothing', async (_name, arg) => {
    const result = await executor.execute(request(work.dir, { command: '/usr/bin/printf', args: ['%s\\0', arg, 'after'] }));
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\0')).toEqual([arg, 'after', '']);
    expect(existsSync(sentinel())).toBe(false);
  });

  it('which – finds a program on the host by the request PATH, reports a missing one, never runs a hostile name', async () => {
    const where = { cwd: work.dir, env: { PATH: '/usr/bin:/bin' } };

    await expect(executor.which('printf', where)).resolves.toEqual({ status: 'found', path: expect.stringMatching(/\/printf$/) });
    await expect(executor.which('no-such-program-tfo', where)).resolves.toEqual({ status: 'missing' });
    await expect(executor.which('$(touch SENTINEL)', where)).resolves.toEqual({ status: 'missing' });
    expect(existsSync(sentinel())).toBe(false);
  });

  it('quoting – a hostile program name is one word too (not found, nothing ran)', async () => {
    const result = await executor.execute(request(work.dir, { command: '/bin/true; touch SENTINEL' }));
    expect(result.exitCode).toBe(127);
    expect(existsSync(sentinel())).toBe(false);
  });

  it('quoting – a cwd with quotes and $() is entered as is', async () => {
    const odd = path.join(work.dir, "it's $(touch SENTINEL) dir");
    await mkdir(odd, { mode: 0o777 });
    const result = await executor.execute(request(odd, { command: '/bin/pwd' }));
    expect(result.stdout).toBe(`${odd}\n`);
    expect(existsSync(sentinel())).toBe(false);
  });

  it('refuses a NUL byte or a bad variable name before reaching a host', async () => {
    await expect(executor.execute(request(work.dir, { command: '/bin/echo', args: ['a\0b'] }))).rejects.toMatchObject({ code: 'ssh.invalid_request' });
    await expect(executor.execute(request(work.dir, { command: '/bin/echo', env: { 'A;touch SENTINEL': '1' } }))).rejects.toBeInstanceOf(SshExecutorError);
    expect(existsSync(sentinel())).toBe(false);
  });

  it('exit codes – the program\'s status comes back; shell mode runs /bin/sh -c only when asked', async () => {
    expect((await executor.execute(request(work.dir, { command: '/bin/false' }))).exitCode).toBe(1);
    const shell = await executor.execute(request(work.dir, { command: 'echo "$1" >&2; exit 7', args: ['given'], shell: true }));
    expect(shell).toMatchObject({ exitCode: 7, signal: null, stderr: 'given\n', timedOut: false, cancelled: false });
  });

  it('env – the program sees exactly the request\'s variables (plus the run marker), none of the login session\'s', async () => {
    const result = await executor.execute(request(work.dir, { command: '/usr/bin/env', env: { PATH: '/usr/bin:/bin', GREETING: "hi 'there' $(x)" } }));
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContain("GREETING=hi 'there' $(x)");
    expect(lines.map((line) => line.split('=')[0]).sort()).toEqual(['GREETING', 'PATH', 'TFO_MCP_EXECUTION_ID']);
  });

  it('cwd and stdin – the program starts in the cwd and reads the request\'s stdin', async () => {
    const result = await executor.execute(request(work.dir, { command: '/bin/sh', args: ['-c', 'pwd; cat'], stdin: 'line one\nline two\n' }));
    expect(result.stdout).toBe(`${work.dir}\nline one\nline two\n`);
    const missing = await executor.execute(request(path.join(work.dir, 'nope'), { command: '/bin/true' }));
    expect(missing.exitCode).not.toBe(0);
  });

  it('output – each stream is capped while it streams and marked truncated', async () => {
    const seen: number[] = [];
    const result = await executor.execute(
      request(work.dir, { command: '/bin/sh', args: ['-c', 'head -c 300000 /dev/zero; echo err >&2'], maxOutputBytes: 1000, onOutput: (_s, n) => seen.push(n) }),
    );
    expect(result.stdout.length).toBe(1000);
    expect(result).toMatchObject({ stdoutTruncated: true, stderrTruncated: false, stderr: 'err\n', exitCode: 0 });
    expect(seen.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300_000);
  });

  it('timeout – the run is killed and no process of it (setsid children included) is left on the host', async () => {
    const sleep = uniqueSleep();
    const script = `sleep ${sleep.seconds} & setsid sleep ${sleep.seconds} & sleep ${sleep.seconds}`;
    const started = Date.now();
    const result = await executor.execute(request(work.dir, { command: '/bin/sh', args: ['-c', script], timeoutMs: 700 }));
    expect(result).toMatchObject({ timedOut: true, cancelled: false, exitCode: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await eventuallyEmpty(() => remoteProcessesMatching(executor, work.dir, sleep.pattern), 3_000)).toEqual([]);
  });

  it('cancel – aborting the signal kills the remote run and reports cancelled', async () => {
    const sleep = uniqueSleep();
    const controller = new AbortController();
    const running = executor.execute(request(work.dir, { command: '/bin/sleep', args: [sleep.seconds], signal: controller.signal }));
    setTimeout(() => controller.abort(), 400);
    const result = await running;
    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: null });
    expect(await eventuallyEmpty(() => remoteProcessesMatching(executor, work.dir, sleep.pattern), 3_000)).toEqual([]);
  });

  it('background jobs – a run that exits leaves nothing behind', async () => {
    const sleep = uniqueSleep();
    const result = await executor.execute(request(work.dir, { command: '/bin/sh', args: ['-c', `sleep ${sleep.seconds} >/dev/null 2>&1 & echo started`] }));
    expect(result).toMatchObject({ exitCode: 0, stdout: 'started\n' });
    expect(await eventuallyEmpty(() => remoteProcessesMatching(executor, work.dir, sleep.pattern), 3_000)).toEqual([]);
  });
  it('limits – max_processes and max_memory are the RLIMIT_NPROC and RLIMIT_AS the remote program sees', async () => {
    const result = await executor.execute(request(work.dir, { command: '/bin/cat', args: ['/proc/self/limits'], limits: { maxProcesses: 77, maxMemoryBytes: 512 * 1024 * 1024 } }));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Max processes\s+77\s+77\s/m);
    expect(result.stdout).toMatch(new RegExp(`^Max address space\\s+${512 * 1024 * 1024}\\s+${512 * 1024 * 1024}\\s`, 'm'));
  });

  it('limits – a fork flood under max_processes 40 - held under the limit, the shell cannot fork, nothing left', async () => {
    const sleep = uniqueSleep();
    const flood = `i=0; while [ $i -lt 200 ]; do sleep ${sleep.seconds} & i=$((i+1)); done; wait`;
    // The host is this machine: count the remote run's sleeps in our own /proc while it runs.
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, localSleeps(sleep.seconds))), 10);
    const result = await executor.execute(request(work.dir, { command: '/bin/sh', args: ['-c', flood], timeoutMs: 5_000, limits: { maxProcesses: 40 } }));
    clearInterval(sampler);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(40);
    expect(result).toMatchObject({ timedOut: false, exitCode: 2 });
    expect(result.stderr).toMatch(/Cannot fork/);
    expect(await eventuallyEmpty(() => remoteProcessesMatching(executor, work.dir, sleep.pattern), 3_000)).toEqual([]);
  });
});

/** Processes on this machine whose argv is `sleep <seconds>`. */
function localSleeps(seconds: string): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(seconds)) count += 1;
    } catch {
      // Gone meanwhile.
    }
  }
  return count;
}

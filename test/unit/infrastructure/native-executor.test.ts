import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { ExecutionRequest } from '../../../src/application/ports/executor.js';
import { NativeExecutor } from '../../../src/infrastructure/execution/native-executor.js';

const PATH = '/usr/local/bin:/usr/bin:/bin';

function request(command: string, args: readonly string[] = [], extra: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return { command, args, cwd: tmpdir(), env: { PATH }, timeoutMs: 5000, maxOutputBytes: 64 * 1024, ...extra };
}

/** Live (non-zombie) members of a process group: PID 1 here reaps orphans only every ~2 s. */
function liveMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  return liveMembers(pgid).length > 0;
}

async function waitUntilGone(pgid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!groupExists(pgid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !groupExists(pgid);
}

describe('NativeExecutor', () => {
  let executor: NativeExecutor;

  beforeEach(() => {
    executor = new NativeExecutor({ killGraceMs: 300 });
  });

  afterEach(async () => {
    await executor.shutdown();
  });

  it('execute - echo - captures stdout and exit code 0', async () => {
    const result = await executor.execute(request('echo', ['hello', 'world']));
    expect(result).toMatchObject({ exitCode: 0, signal: null, stdout: 'hello world\n', stderr: '', timedOut: false, cancelled: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('execute - non-zero exit - reports the exit code', async () => {
    const result = await executor.execute(request('sh', ['-c', 'exit 7']));
    expect(result.exitCode).toBe(7);
  });

  it('execute - shell request - runs the line through /bin/sh with args as positional parameters', async () => {
    const result = await executor.execute(request('echo "$1-$2" | tr a-z A-Z', ['ab', 'cd'], { shell: true }));
    expect(result.stdout).toBe('AB-CD\n');
  });

  it('execute - stderr - is captured separately from stdout', async () => {
    const result = await executor.execute(request('sh', ['-c', 'echo out; echo err >&2; exit 3']));
    expect(result).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
  });

  it('execute - output above the cap - keeps the cap, flags truncation and the process still ends', async () => {
    const progress: number[] = [];
    const result = await executor.execute(
      request('sh', ['-c', 'yes | head -n 200000'], { maxOutputBytes: 1000, onOutput: (_s, bytes) => progress.push(bytes) }),
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('y\n'.repeat(500));
    expect(result.stdoutTruncated).toBe(true);
    expect(result.stderrTruncated).toBe(false);
    expect(progress.reduce((a, b) => a + b, 0)).toBe(400_000);
  });

  it('execute - multibyte character cut at the cap - drops the partial character', async () => {
    // "é" is 2 bytes: a 5-byte cap holds "éé" plus half of the third.
    const result = await executor.execute(request('printf', ['ééé'], { maxOutputBytes: 5 }));
    expect(result.stdout).toBe('éé');
    expect(result.stdoutTruncated).toBe(true);
  });

  it('execute - timeout - kills the whole process group, grandchildren included', async () => {
    const started = Date.now();
    const result = await executor.execute(request('sh', ['-c', 'echo $$; sleep 30 & sleep 30 & wait'], { timeoutMs: 300 }));
    // sh is the group leader, so its pid is the group id.
    const pgid = Number(result.stdout.trim());
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(result.signal).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(pgid).toBeGreaterThan(1);
    expect(await waitUntilGone(pgid, 3000)).toBe(true);
  });

  it('execute - child ignoring SIGTERM - is SIGKILLed after the grace period', async () => {
    const result = await executor.execute(request('sh', ['-c', "trap '' TERM; echo ready; sleep 30 & wait; sleep 30"], { timeoutMs: 200 }));
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
  });

  it('execute - leader exits leaving a background job - the job is killed', async () => {
    const result = await executor.execute(request('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $$'], { timeoutMs: 5000 }));
    expect(result.exitCode).toBe(0);
    expect(await waitUntilGone(Number(result.stdout.trim()), 3000)).toBe(true);
  });

  it('execute - abort signal - stops the run and reports cancelled', async () => {
    const controller = new AbortController();
    const promise = executor.execute(request('sleep', ['30'], { signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    const result = await promise;
    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: null, signal: 'SIGTERM' });
  });

  it('execute - signal already aborted - does not start the program', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await executor.execute(request('sh', ['-c', 'echo started'], { signal: controller.signal }));
    expect(result).toMatchObject({ cancelled: true, stdout: '' });
  });

  it('execute - stdin - passes through to the program', async () => {
    const result = await executor.execute(request('cat', [], { stdin: 'line one\nline two\n' }));
    expect(result.stdout).toBe('line one\nline two\n');
  });

  it('execute - no stdin - the program sees end of input instead of hanging', async () => {
    const result = await executor.execute(request('cat', [], { timeoutMs: 2000 }));
    expect(result).toMatchObject({ exitCode: 0, stdout: '', timedOut: false });
  });

  it('execute - env - the child sees exactly the given variables', async () => {
    process.env['TFO_EXECUTOR_LEAK_CHECK'] = 'leaked';
    try {
      const result = await executor.execute(request('/usr/bin/env', [], { env: { ONLY: 'this' } }));
      expect(result.stdout).toBe('ONLY=this\n');
    } finally {
      delete process.env['TFO_EXECUTOR_LEAK_CHECK'];
    }
  });

  it('execute - unknown program - rejects with ENOENT', async () => {
    await expect(executor.execute(request('tfo-no-such-program-xyz'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('shutdown - running children - kills their groups and resolves them as cancelled', async () => {
    const pending = executor.execute(request('sh', ['-c', 'echo $$; sleep 30 & sleep 30 & wait'], { timeoutMs: 30_000 }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = Date.now();
    await executor.shutdown();
    const result = await pending;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({ cancelled: true, signal: 'SIGKILL' });
    expect(await waitUntilGone(Number(result.stdout.trim()), 3000)).toBe(true);
  });

  it('execute - after shutdown - starts nothing', async () => {
    await executor.shutdown();
    const result = await executor.execute(request('echo', ['late']));
    expect(result).toMatchObject({ cancelled: true, stdout: '' });
  });
});

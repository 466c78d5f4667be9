import { tmpdir } from 'node:os';
import type { ExecutionRequest } from '../../../src/application/ports/executor.js';
import { NativeExecutor } from '../../../src/infrastructure/execution/native-executor.js';
import { EXECUTION_MARKER } from '../../../src/infrastructure/execution/marked-process-sweep.js';
import { chooseIsolation, processGroupOnly, type ProcessIsolation } from '../../../src/infrastructure/execution/process-isolation.js';
import { survivorsAfter, uniqueSleep } from './native-executor-processes.js';

const PATH = '/usr/local/bin:/usr/bin:/bin';

function request(command: string, args: readonly string[] = [], extra: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return { command, args, cwd: tmpdir(), env: { PATH }, timeoutMs: 5000, maxOutputBytes: 64 * 1024, ...extra };
}

const isolations: [string, () => ProcessIsolation][] = [
  ['default isolation', () => chooseIsolation('auto')],
  ['process group only', () => processGroupOnly('test')],
];

describe.each(isolations)('NativeExecutor (%s)', (_name, isolation) => {
  let executor: NativeExecutor;

  beforeEach(() => {
    executor = new NativeExecutor({ killGraceMs: 300, isolation: isolation() });
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

  it('execute - timeout - kills the program and its background jobs, and answers promptly', async () => {
    const [a, b] = [uniqueSleep(), uniqueSleep()];
    const started = Date.now();
    const result = await executor.execute(request('sh', ['-c', `sleep ${a} & sleep ${b} & wait`], { timeoutMs: 300 }));
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(result.signal).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await survivorsAfter(a, 3000)).toEqual([]);
    expect(await survivorsAfter(b, 3000)).toEqual([]);
  });

  it('execute - child ignoring SIGTERM - is SIGKILLed after the grace period', async () => {
    const result = await executor.execute(request('sh', ['-c', "trap '' TERM; echo ready; sleep 30 & wait; sleep 30"], { timeoutMs: 200 }));
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
  });

  it('execute - leader exits leaving a background job - the job is killed', async () => {
    const marker = uniqueSleep();
    const result = await executor.execute(request('sh', ['-c', `sleep ${marker} >/dev/null 2>&1 & echo started`], { timeoutMs: 5000 }));
    expect(result).toMatchObject({ exitCode: 0, stdout: 'started\n' });
    expect(await survivorsAfter(marker, 3000)).toEqual([]);
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
      // Without a namespace, a marker variable ties escaped processes to their run for the sweep.
      const lines = result.stdout.split('\n').filter((line) => !line.startsWith(`${EXECUTION_MARKER}=`));
      expect(lines).toEqual(['ONLY=this', '']);
    } finally {
      delete process.env['TFO_EXECUTOR_LEAK_CHECK'];
    }
  });

  it('execute - unknown program - rejects with ENOENT', async () => {
    await expect(executor.execute(request('tfo-no-such-program-xyz'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('shutdown - running children - kills their trees and resolves them as cancelled', async () => {
    const [a, b] = [uniqueSleep(), uniqueSleep()];
    const pending = executor.execute(request('sh', ['-c', `sleep ${a} & sleep ${b} & wait`], { timeoutMs: 30_000 }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = Date.now();
    await executor.shutdown();
    const result = await pending;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({ cancelled: true, signal: 'SIGKILL' });
    expect(await survivorsAfter(a, 3000)).toEqual([]);
    expect(await survivorsAfter(b, 3000)).toEqual([]);
  });

  it('execute - after shutdown - starts nothing', async () => {
    await executor.shutdown();
    const result = await executor.execute(request('echo', ['late']));
    expect(result).toMatchObject({ cancelled: true, stdout: '' });
  });
});

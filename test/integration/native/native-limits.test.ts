import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionLimits, ExecutionRequest } from '../../../src/application/ports/executor.js';
import { EXECUTION_MARKER } from '../../../src/infrastructure/execution/marked-process-sweep.js';
import { NativeExecutor } from '../../../src/infrastructure/execution/native-executor.js';
import { chooseIsolation, processGroupOnly, type ProcessIsolation } from '../../../src/infrastructure/execution/process-isolation.js';
import { probePidsCgroups, unavailablePidsCgroups } from '../../../src/infrastructure/execution/pids-cgroup.js';
import { probeRlimits, type RlimitSupport } from '../../../src/infrastructure/execution/prlimit.js';
import { ExecutorHealthCheck } from '../../../src/infrastructure/health/embedded-health-checks.js';
import { markedProcesses, survivorsAfter, uniqueSleep } from '../../unit/infrastructure/native-executor-processes.js';

const PATH = '/usr/local/bin:/usr/bin:/bin';
const MiB = 1024 * 1024;
/** perl builds a 400 MiB string: far above a 100 MiB address space, well within the machine. */
const HOG = ['-e', '$x = "x" x (400 * 1024 * 1024); print length $x'];
const asRoot = process.geteuid?.() === 0;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tfo-limits-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function request(command: string, args: readonly string[], limits?: ExecutionLimits, extra: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return { command, args, cwd: dir, env: { PATH }, timeoutMs: 10_000, maxOutputBytes: 256 * 1024, ...(limits ? { limits } : {}), ...extra };
}

/** The hard column of one /proc/<pid>/limits line, as the program saw it. */
function hardLimit(limits: string, name: string): string | undefined {
  return limits.split('\n').find((line) => line.startsWith(name))?.slice(name.length).trim().split(/\s+/)[1];
}

const isolations: [string, () => ProcessIsolation][] = [
  ['default isolation', () => chooseIsolation('auto')],
  ['process group only', () => processGroupOnly('test')],
];

describe.each(isolations)('NativeExecutor with resource limits (%s)', (_name, isolation) => {
  let executor: NativeExecutor;
  beforeEach(() => {
    executor = new NativeExecutor({ killGraceMs: 300, pipeGraceMs: 300, isolation: isolation() });
  });
  afterEach(async () => {
    await executor.shutdown();
  });

  it('probe - this machine - RLIMIT_AS lands through prlimit', () => {
    expect(executor.rlimits.prlimit).toMatch(/\/prlimit$/);
    expect(executor.rlimits.memory).toBe(true);
  });

  it('execute - memory hog under max_memory 100 MiB - stopped by the limit', async () => {
    const result = await executor.execute(request('perl', HOG, { maxMemoryBytes: 100 * MiB }));
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Out of memory');
    expect(result.timedOut).toBe(false);
  });

  it('execute - the same hog without limits - completes (the limit, not the machine, stopped it)', async () => {
    const result = await executor.execute(request('perl', HOG));
    expect(result).toMatchObject({ exitCode: 0, stdout: String(400 * MiB) });
  });

  it('execute - max_memory - is the hard and soft RLIMIT_AS the program sees', async () => {
    const result = await executor.execute(request('cat', ['/proc/self/limits'], { maxMemoryBytes: 300 * MiB }));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`Max address space\\s+${300 * MiB}\\s+${300 * MiB}\\s+bytes`));
  });

  it('execute - hostile argv under the prlimit wrapper - reaches the program unchanged, nothing runs', async () => {
    const sentinel = join(dir, 'sentinel');
    const args = ['--', '--as=1', '--nproc=1', `$(touch ${sentinel})`, `\`touch ${sentinel}\``, `; touch ${sentinel}`, `| touch ${sentinel}`,
      "a'b\"c", 'x\ny', '', ' lead', 'trail ', '*', '\\', '-e', '--help'];
    const result = await executor.execute(request('printf', ['%s\\0', ...args], { maxMemoryBytes: 512 * MiB }));
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(args);
    expect(existsSync(sentinel)).toBe(false);
  });

  it('execute - missing program with limits - rejects ENOENT as without them', async () => {
    await expect(executor.execute(request('no-such-program-tfo', [], { maxMemoryBytes: 512 * MiB }))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('execute - setsid child under limits, short timeout - leaves no process behind', async () => {
    const marker = uniqueSleep();
    const result = await executor.execute(request('sh', ['-c', `setsid -f sleep ${marker}; echo escaped; sleep 30`], { maxMemoryBytes: 512 * MiB }, { timeoutMs: 500 }));
    expect(result.timedOut).toBe(true);
    expect(result.stdout).toBe('escaped\n');
    expect(await survivorsAfter(marker, 2000)).toEqual([]);
  });

  it('health - details - name the isolation and what each limit becomes here', async () => {
    const health = await executor.health();
    expect(health.backend).toBe('native');
    expect(health.details).toMatchObject({ isolation: executor.isolation.description });
    expect(health.details['max_memory']).toMatch(/^enforced: RLIMIT_AS/);
    expect(health.details['max_cpu']).toMatch(/^not enforced on native: no rlimit caps a CPU share/);
    if (asRoot) expect(health.details['max_processes']).toMatch(/^enforced: a pids cgroup \(v[12]\) per run/);
    else expect(health.details['max_processes']).toMatch(/^enforced: (RLIMIT_NPROC|a pids cgroup)/);
  });
});

describe('NativeExecutor limits - process group marker', () => {
  it('execute - process group with limits - the sweep marker still reaches the program', async () => {
    const executor = new NativeExecutor({ isolation: processGroupOnly('test') });
    try {
      const result = await executor.execute(request('env', [], { maxMemoryBytes: 512 * MiB }));
      expect(result.stdout).toMatch(new RegExp(`^${EXECUTION_MARKER}=[0-9a-f-]{36}$`, 'm'));
    } finally {
      await executor.shutdown();
    }
  });
});

describe('NativeExecutor limits - max_processes', () => {
  it('probe - as this user - reports what RLIMIT_NPROC does here', () => {
    const support = probeRlimits(chooseIsolation('auto'));
    // Root is exempt from RLIMIT_NPROC in the kernel, with or without capabilities; anyone else is stopped.
    expect(support.processes).toBe(!asRoot);
  });

  it('execute - max_processes where enforced - is the RLIMIT_NPROC the program sees', async () => {
    const measured = probeRlimits(chooseIsolation('auto'));
    // Forced on, so the wrapper's argv is checked even where root ignores the limit itself.
    const executor = new NativeExecutor({
      rlimits: { ...measured, processes: true, hard: { ...measured.hard, processes: Number.POSITIVE_INFINITY } },
      pidsCgroups: unavailablePidsCgroups('test: the rlimit path'),
    });
    try {
      const result = await executor.execute(request('cat', ['/proc/self/limits'], { maxProcesses: 7 }));
      expect(hardLimit(result.stdout, 'Max processes')).toBe('7');
    } finally {
      await executor.shutdown();
    }
  });

  it('execute - max_processes where not enforced - adds no wrapper (the limit is left off)', async () => {
    const measured = probeRlimits(chooseIsolation('auto'));
    const executor = new NativeExecutor({ rlimits: { ...measured, processes: false }, pidsCgroups: unavailablePidsCgroups('test: the rlimit path') });
    try {
      const result = await executor.execute(request('cat', ['/proc/self/limits'], { maxProcesses: 7 }));
      expect(hardLimit(result.stdout, 'Max processes')).not.toBe('7');
    } finally {
      await executor.shutdown();
    }
  });
});

describe.each([
  ['prlimit missing', { prlimitPath: null }, 'not enforced: prlimit (util-linux) not found'],
  ['prlimit unusable', { prlimitPath: '/nonexistent/prlimit' }, 'not enforced: prlimit failed in the probe'],
])('NativeExecutor limits - degraded (%s)', (_name, options, reason) => {
  let executor: NativeExecutor;
  let support: RlimitSupport;
  beforeEach(() => {
    const isolation = chooseIsolation('auto');
    support = probeRlimits(isolation, options);
    executor = new NativeExecutor({ isolation, rlimits: support, pidsCgroups: unavailablePidsCgroups('test: degraded') });
  });
  afterEach(async () => {
    await executor.shutdown();
  });

  it('execute - memory hog with max_memory - runs without the limit', async () => {
    expect(support.prlimit).toBeUndefined();
    const result = await executor.execute(request('perl', HOG, { maxMemoryBytes: 100 * MiB, maxProcesses: 5 }));
    expect(result).toMatchObject({ exitCode: 0, stdout: String(400 * MiB) });
  });

  it('health and /ready - say the limits are not enforced and why', async () => {
    const health = await executor.health();
    expect(health.details['max_memory']).toContain(reason);
    expect(health.details['max_processes']).toContain(reason);
    const ready = await new ExecutorHealthCheck(executor).check();
    expect(ready.detail).toContain(`max_memory: ${reason}`);
    expect(ready.detail).toContain('max_cpu: not enforced on native');
  });
});

/** The flood every max_processes test runs: 100 background sleeps, then wait. */
function flood(marker: string): readonly string[] {
  return ['-c', `i=0; while [ $i -lt 100 ]; do sleep ${marker} & i=$((i+1)); done; wait`];
}

describe.each(isolations)('NativeExecutor limits - max_processes in a pids cgroup (%s)', (_name, isolation) => {
  let executor: NativeExecutor;
  beforeEach(() => {
    executor = new NativeExecutor({ killGraceMs: 300, pipeGraceMs: 300, isolation: isolation() });
  });
  afterEach(async () => {
    await executor.shutdown();
  });

  it('probe - as root on this machine - a pids cgroup holds max_processes', () => {
    // CI runs as root with cgroup v1's pids hierarchy mounted read-write (see INFRA-FACTS); without root the rlimit applies.
    expect(executor.pidsCgroups.available).toBe(asRoot);
  });

  it('execute - a fork flood under max_processes 16 - never more than 16 of its processes, the shell cannot fork, nothing left', async () => {
    const marker = uniqueSleep();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, markedProcesses(marker).length)), 5);
    const result = await executor.execute(request('sh', flood(marker), { maxProcesses: 16 }, { timeoutMs: 5_000 }));
    clearInterval(sampler);
    expect(peak).toBeLessThanOrEqual(16);
    expect(result).toMatchObject({ exitCode: 2, timedOut: false });
    expect(result.stderr).toMatch(/Cannot fork/);
    expect(await survivorsAfter(marker, 2000)).toEqual([]);
  });

  it('execute - the same flood with max_processes 200 - all 100 run (the limit, not the machine, stopped it above)', async () => {
    const marker = uniqueSleep();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, markedProcesses(marker).length)), 20);
    const result = await executor.execute(request('sh', flood(marker), { maxProcesses: 200 }, { timeoutMs: 1_500 }));
    clearInterval(sampler);
    expect(peak).toBe(100);
    expect(result.timedOut).toBe(true);
    expect(await survivorsAfter(marker, 3000)).toEqual([]);
  });

  it('execute - hostile argv through the cgroup entry script - reaches the program unchanged', async () => {
    const args = ['$(touch pwned)', '`id`', '"; echo x', "'", '$0', '$@', '-c', 'a\nb', ''];
    const result = await executor.execute(request('printf', ['%s\\0', ...args], { maxProcesses: 16 }));
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(args);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('execute - runs with max_processes - leave no cgroup behind once answered', async () => {
    await Promise.all([1, 2, 3].map(() => executor.execute(request('true', [], { maxProcesses: 8 }))));
    const base = `/sys/fs/cgroup/pids/tfo-mcp-${process.pid}`;
    const deadline = Date.now() + 3000;
    while (readdirQuietly(base).some((entry) => entry.startsWith('run-')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(readdirQuietly(base).filter((entry) => entry.startsWith('run-'))).toEqual([]);
    await executor.shutdown();
    expect(existsSync(base)).toBe(false);
  });
});

describe('probePidsCgroups', () => {
  it('probePidsCgroups - off Linux - unavailable, and says why', () => {
    expect(probePidsCgroups({ platform: 'darwin' })).toMatchObject({ available: false, report: 'no pids cgroup: cgroups need Linux' });
  });
});

function readdirQuietly(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

import { afterAll, describe, expect, it } from '@jest/globals';
import { dockerExecutor, leftoverContainers, runRequest } from './docker-test-support.js';

// The docker backend's limits and stopping, against podman (scripts/services.sh): every run that is
// stopped must also be gone (no container left, running or not).
const { executor } = dockerExecutor({ memory: 64 * 1024 * 1024, pidsLimit: 32 });

afterAll(async () => {
  await executor.shutdown();
});

describe('DockerExecutor stops runs', () => {
  it('kills a run at its timeout and removes its container', async () => {
    const result = await executor.execute(runRequest('sleep', ['600'], { timeoutMs: 1500 }));
    expect(result).toMatchObject({ timedOut: true, cancelled: false, exitCode: null, signal: 'SIGKILL' });
    expect(result.durationMs).toBeLessThan(5000);
    expect(await leftoverContainers()).toEqual([]);
  });

  it('kills a run when its signal aborts, reported as cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1200);
    const result = await executor.execute(runRequest('sh', ['-c', 'sleep 600 & sleep 600'], { signal: controller.signal }));
    expect(result).toMatchObject({ cancelled: true, timedOut: false, signal: 'SIGKILL' });
    expect(await leftoverContainers()).toEqual([]);
  });

  it('does not start a run whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await executor.execute(runRequest('sh', ['-c', 'echo ran'], { signal: controller.signal }));
    expect(result).toMatchObject({ cancelled: true, exitCode: null, signal: null, stdout: '' });
    expect(await leftoverContainers()).toEqual([]);
  });
});

describe('DockerExecutor limits', () => {
  it('applies the tighter of its settings and the request limits, never a looser one', async () => {
    const script = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us';
    const lowered = await executor.execute(runRequest('sh', ['-c', script], { limits: { maxMemoryBytes: 32 * 1024 * 1024, maxProcesses: 8, maxCpus: 0.5 } }));
    expect(lowered.stdout).toBe(`${32 * 1024 * 1024}\n8\n50000\n`);
    const raised = await executor.execute(runRequest('sh', ['-c', script], { limits: { maxMemoryBytes: 1024 * 1024 * 1024, maxProcesses: 4096 } }));
    expect(raised.stdout.split('\n').slice(0, 2)).toEqual([`${64 * 1024 * 1024}`, '32']);
  });

  it('contains a fork bomb within the pids limit, and the timeout ends it', async () => {
    const result = await executor.execute(runRequest('sh', ['-c', 'bomb() { bomb | bomb & }; bomb; sleep 600'], { timeoutMs: 3000 }));
    expect(result.timedOut).toBe(true);
    expect(result.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    expect(await leftoverContainers()).toEqual([]);
  });

  it('reports a kill by the memory limit as SIGKILL with a note, though podman leaves OOMKilled false', async () => {
    const result = await executor.execute(runRequest('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1']));
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: false, cancelled: false });
    expect(result.stderr).toMatch(/killed: memory limit\n$/);
  });
});

describe('DockerExecutor output', () => {
  it('keeps the exit code when output past the cap is drained, slicing the 8 KiB chunks at the cap', async () => {
    const cap = 100_000; // not a multiple of the engine's 8 KiB chunks
    const result = await executor.execute(runRequest('sh', ['-c', 'head -c 3000000 /dev/zero | tr "\\0" a; echo err >&2; exit 3'], { maxOutputBytes: cap }));
    expect(result).toMatchObject({ exitCode: 3, stdoutTruncated: true, stderrTruncated: false, stderr: 'err\n' });
    expect(result.stdout).toBe('a'.repeat(cap));
  });

  it('stops a run that writes a gigabyte, with server RSS bounded and other runs still answered', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    let progress = 0;
    try {
      const flood = executor.execute(runRequest('head', ['-c', '1000000000', '/dev/zero'], { maxOutputBytes: 1024 * 1024, timeoutMs: 30_000, onOutput: (_, bytes) => (progress += bytes) }));
      const other = await executor.execute(runRequest('echo', ['still answering']));
      expect(other.stdout).toBe('still answering\n');
      const result = await flood;
      expect(result).toMatchObject({ stdoutTruncated: true, exitCode: null, signal: 'SIGKILL', timedOut: false });
      expect(result.stdout.length).toBe(1024 * 1024);
      expect(result.stderr).toBe('killed: output limit\n');
      expect(progress).toBeGreaterThan(64 * 1024 * 1024);
      expect(progress).toBeLessThan(1_000_000_000);
    } finally {
      clearInterval(sampler);
    }
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
    expect(await leftoverContainers()).toEqual([]);
  });
});

describe('DockerExecutor shutdown', () => {
  it('kills what still runs, removes it, and refuses new runs', async () => {
    const own = dockerExecutor().executor;
    const running = own.execute(runRequest('sleep', ['600'], { timeoutMs: 60_000 }));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await own.shutdown();
    await expect(running).resolves.toMatchObject({ cancelled: true, signal: 'SIGKILL' });
    await expect(own.execute(runRequest('true'))).rejects.toMatchObject({ code: 'docker.stopped' });
    expect(await leftoverContainers()).toEqual([]);
  });
});

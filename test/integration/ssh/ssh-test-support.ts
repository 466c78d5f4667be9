import { randomInt } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionRequest, ExecutionResult } from '../../../src/application/ports/executor.js';
import { SshExecutor, type SshExecutorOptions } from '../../../src/infrastructure/execution/ssh/ssh-executor.js';
import type { SshHostConfig } from '../../../src/infrastructure/execution/ssh/ssh-host.js';
import { RecordingLogger } from '../../support/builders.js';
import type { SshdTarget } from '../../support/sshd.js';

export function hostOf(target: SshdTarget, overrides: Partial<SshHostConfig> = {}): SshHostConfig {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    privateKeyPath: target.keyPath,
    hostKey: target.hostKey,
    maxConcurrent: 4,
    ...overrides,
  };
}

/** An executor with short timeouts; `shutdown()` it in afterEach/afterAll. */
export function executorFor(hosts: readonly SshHostConfig[], options: Partial<SshExecutorOptions> = {}): { executor: SshExecutor; logger: RecordingLogger } {
  const logger = new RecordingLogger();
  const executor = new SshExecutor({ hosts, strategy: 'round_robin', connectTimeoutMs: 3_000, probeTimeoutMs: 3_000, ...options }, logger);
  return { executor, logger };
}

/**
 * A directory the remote user can enter and write (so an injected `touch` WOULD succeed and the
 * sentinel tests can fail), on this machine, which is also the ssh host.
 */
export async function sharedDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  await chmod(dir, 0o777);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function request(cwd: string, overrides: Partial<ExecutionRequest> & Pick<ExecutionRequest, 'command'>): ExecutionRequest {
  return { args: [], cwd, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000, maxOutputBytes: 1_000_000, ...overrides };
}

/**
 * A `sleep` duration nobody else uses, and a pgrep pattern for it that does not match the pgrep
 * command line itself (nor the `timeout` wrapper that carries the pattern in its arguments).
 */
export function uniqueSleep(): { seconds: string; pattern: string } {
  const digits = String(randomInt(100_000, 999_999));
  return { seconds: `600.${digits}`, pattern: `[s]leep 60[0-9]\\.${digits}` };
}

/** Whether any live process on the host matches `pattern`, asked through a second ssh exec. */
export async function remoteProcessesMatching(executor: SshExecutor, cwd: string, pattern: string): Promise<string[]> {
  const result: ExecutionResult = await executor.execute(request(cwd, { command: '/usr/bin/pgrep', args: ['-a', '-f', pattern] }));
  if (result.exitCode === 1) return [];
  if (result.exitCode !== 0) throw new Error(`pgrep failed: ${result.exitCode} ${result.stderr}`);
  return result.stdout.trim().split('\n');
}

export async function eventuallyEmpty(probe: () => Promise<string[]>, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await probe();
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

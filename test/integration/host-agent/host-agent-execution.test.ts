import { statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionRequest } from '../../../src/application/ports/executor.js';
import { CommandPolicy } from '../../../src/domain/security/command-policy.js';
import { DomainError } from '../../../src/domain/shared/domain-error.js';
import { DEFAULT_ALLOWED_COMMANDS, DEFAULT_BLOCKED_COMMANDS } from '../../../src/infrastructure/config/config.schema.js';
import { processesWithArg } from '../../support/processes.js';
import { SECRET, startAgent, type AgentFixture } from './agent-fixture.js';

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe.each([
  ['loopback TCP', () => 'http://127.0.0.1:0'],
  ['unix socket', (dir: string) => `unix://${join(dir, 'agent.sock')}`],
])('HostAgentExecutor against a real agent (%s)', (_name, listen) => {
  let fx: AgentFixture;
  const run = (command: string, args: readonly string[] = [], extra: Partial<ExecutionRequest> = {}) =>
    fx.executor.execute({ command, args, cwd: fx.root, env: { PATH: '/nonexistent' }, timeoutMs: 5000, maxOutputBytes: 64 * 1024, ...extra });

  beforeEach(async () => {
    fx = await startAgent(listen);
  });

  afterEach(async () => {
    await fx.stop();
  });

  it('execute - argv with shell metacharacters - passed as plain arguments, stdout exact, exit 0', async () => {
    const result = await run('echo', ['a b', '$(id)', ';', 'x|y', '`uname`']);
    expect(result).toMatchObject({ exitCode: 0, signal: null, stdout: 'a b $(id) ; x|y `uname`\n', stderr: '', timedOut: false, cancelled: false });
  });

  it('execute - exit codes and stderr - reported as the program gave them', async () => {
    expect((await run('false')).exitCode).toBe(1);
    const missing = await run('cat', ['no-such-file']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('no-such-file');
  });

  it('execute - stdin and the agent\'s own PATH - the caller\'s PATH is replaced, stdin reaches the program', async () => {
    // The request's PATH (/nonexistent) would make `cat` unfindable; the agent resolves with its own.
    expect((await run('cat', [], { stdin: 'from stdin' })).stdout).toBe('from stdin');
  });

  it('execute - output over maxOutputBytes - capped and marked truncated', async () => {
    writeFileSync(join(fx.root, 'big'), 'x'.repeat(100_000));
    const result = await run('cat', ['big'], { maxOutputBytes: 1000 });
    expect(result.stdout).toHaveLength(1000);
    expect(result.stdoutTruncated).toBe(true);
  });

  it('execute - a program the server\'s policy allows but the agent\'s does not - denied naming the agent\'s rule, audited', async () => {
    const server = new CommandPolicy({ allowedCommands: DEFAULT_ALLOWED_COMMANDS, blockedCommands: DEFAULT_BLOCKED_COMMANDS, unreviewedCommands: [], allowShell: false, allowPathsOutsideRoots: false });
    expect(() => server.check({ command: 'ls', args: [], shell: false, cwd: fx.root, roots: [fx.root] })).not.toThrow();
    const error = await run('ls').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'policy.command_denied', details: { command: 'ls', rule: 'host_agent.not_allowed' } });
    expect(fx.audit()).toEqual([expect.objectContaining({ action: 'execute', outcome: 'refused', reason: 'policy.not_allowed', program: 'ls' })]);
  });

  it('which - the agent resolves with its own PATH and its own policy, audits the lookup, runs nothing', async () => {
    // The request's PATH is not sent: the agent's decides (cat lives in /usr/bin or /bin).
    expect(await fx.executor.which('cat', { cwd: fx.root, env: { PATH: '/nonexistent' } })).toEqual({ status: 'found', path: expect.stringMatching(/\/bin\/cat$/) });
    expect(await fx.executor.which('sleep', { cwd: fx.root, env: {} })).toMatchObject({ status: 'found' });
    writeFileSync(join(fx.root, 'script.sh'), 'echo hi\n', { mode: 0o644 });
    expect(await fx.executor.which('./script.sh', { cwd: fx.root, env: {} })).toEqual({ status: 'unknown', reason: expect.stringContaining("the host agent's own policy refuses it (host_agent.") });
    expect(await fx.executor.which('ls', { cwd: fx.root, env: {} })).toEqual({ status: 'unknown', reason: expect.stringContaining('(host_agent.not_allowed)') });
    expect(await fx.executor.which('cat', { cwd: fx.dir, env: {} })).toEqual({ status: 'unknown', reason: expect.stringContaining('(host_agent.cwd_outside_roots)') });
    expect(fx.audit()).toEqual([
      expect.objectContaining({ action: 'which', outcome: 'accepted', program: 'cat' }),
      expect.objectContaining({ action: 'which', outcome: 'accepted', program: 'sleep' }),
      expect.objectContaining({ action: 'which', outcome: 'refused', program: './script.sh' }),
      expect.objectContaining({ action: 'which', outcome: 'refused', program: 'ls', reason: 'policy.not_allowed' }),
      expect.objectContaining({ action: 'which', outcome: 'refused', program: 'cat', reason: 'policy.cwd_outside_roots' }),
    ]);
  });

  it('execute - a shell line - refused by the agent (allow_shell is false there)', async () => {
    await expect(run('echo hi; id', [], { shell: true })).rejects.toMatchObject({ details: { rule: 'host_agent.shell_disabled' } });
  });

  it('execute - cwd outside the agent\'s roots - refused', async () => {
    await expect(run('true', [], { cwd: fx.dir })).rejects.toMatchObject({ details: { rule: 'host_agent.cwd_outside_roots' } });
  });

  it('execute - a symlink inside the root that points out - refused through the link', async () => {
    symlinkSync('/etc', join(fx.root, 'etc-link'));
    await expect(run('cat', ['etc-link/hostname'])).rejects.toMatchObject({ details: { rule: 'host_agent.path_outside_roots' } });
  });

  it('execute - LD_PRELOAD or a variable off the allowlist - refused', async () => {
    await expect(run('true', [], { env: { LD_PRELOAD: '/tmp/x.so' } })).rejects.toMatchObject({ details: { rule: 'host_agent.env_not_allowed' } });
    await expect(run('true', [], { env: { SOME_TOKEN: 'x' } })).rejects.toMatchObject({ details: { rule: 'host_agent.env_not_allowed' } });
  });

  it('execute - a program missing on the agent\'s PATH - rejects with ENOENT like the native backend', async () => {
    const fx2 = fx;
    await fx2.stop();
    fx = await startAgent(listen, { allowed_commands: ['definitely-not-a-program'], unreviewed_commands: ['definitely-not-a-program'] });
    await expect(run('definitely-not-a-program')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('execute - cancelled while `sleep` runs - answers cancelled and the process is gone', async () => {
    const marker = `600.${process.pid}${Date.now() % 100_000}`;
    const abort = new AbortController();
    const pending = run('sleep', [marker], { signal: abort.signal, timeoutMs: 60_000 });
    expect(await until(() => processesWithArg(marker).length > 0, 3000)).toBe(true);
    abort.abort();
    const result = await pending;
    expect(result.cancelled).toBe(true);
    expect(await until(() => processesWithArg(marker).length === 0, 3000)).toBe(true);
    expect(await until(() => fx.audit().some((line) => line['cancelled'] === true), 3000)).toBe(true);
  });

  it('execute - `sleep` past its timeout - timedOut, and the agent killed it', async () => {
    const marker = `601.${process.pid}${Date.now() % 100_000}`;
    const result = await run('sleep', [marker], { timeoutMs: 400 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null });
    expect(await until(() => processesWithArg(marker).length === 0, 3000)).toBe(true);
  });

  it('execute - progress - onOutput sees the bytes as the agent reports them', async () => {
    const seen: number[] = [];
    writeFileSync(join(fx.root, 'some'), 'y'.repeat(5000));
    await run('cat', ['some'], { onOutput: (_stream, bytes) => seen.push(bytes) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toBeLessThanOrEqual(5000);
  });

  it('logs - secret values, masked options and env values - never in the audit or any log line', async () => {
    await run('echo', ['--password=hunter2', '--token', 'tok-123', 'https://user:pw-456@example.test/'], { env: { LANG: 'lang-value-789' } });
    const audit = fx.auditText();
    const logs = fx.logs.text();
    for (const secret of [SECRET, 'hunter2', 'tok-123', 'pw-456', 'lang-value-789']) {
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(fx.audit()[0]).toMatchObject({ outcome: 'accepted', argv: ['--password=[masked]', '--token', '[masked]', expect.any(String)], envNames: ['LANG', 'PATH'] });
  });
});

describe('host agent unix socket', () => {
  it('listen - unix socket - created with mode 0600', async () => {
    const fx = await startAgent((dir) => `unix://${join(dir, 'agent.sock')}`);
    try {
      expect(statSync(join(fx.dir, 'agent.sock')).mode & 0o777).toBe(0o600);
    } finally {
      await fx.stop();
    }
  });
});

describe('host agent - its own max_processes ceiling', () => {
  it('execute - a fork flood with no limit in the request - held by the agent\'s host_agent.max_processes, nothing left', async () => {
    const fx = await startAgent(undefined, { allowed_commands: ['sh', 'sleep'], allow_shell: true }, { max_processes: 12 });
    try {
      const marker = `30.${process.pid}${Math.floor(Math.random() * 1e6)}`;
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, processesWithArg(marker).length)), 5);
      const result = await fx.executor.execute({
        command: `i=0; while [ $i -lt 100 ]; do sleep ${marker} & i=$((i+1)); done; wait`, args: [], shell: true,
        cwd: fx.root, env: {}, timeoutMs: 5000, maxOutputBytes: 64 * 1024,
      });
      clearInterval(sampler);
      expect(peak).toBeLessThanOrEqual(12);
      expect(result).toMatchObject({ exitCode: 2, timedOut: false });
      expect(result.stderr).toMatch(/Cannot fork/);
      expect(await until(() => processesWithArg(marker).length === 0, 3000)).toBe(true);
    } finally {
      await fx.stop();
    }
  });
});

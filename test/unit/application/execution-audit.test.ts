import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExecutionAuditTrail } from '../../../src/application/execution/execution-audit-trail.js';
import { ExecutorSwitch } from '../../../src/application/execution/executor-switch.js';
import type { ExecutionRequest, ExecutionResult, Executor } from '../../../src/application/ports/executor.js';
import type { ToolContext, ToolDefinition } from '../../../src/application/tools/tool-definition.js';
import { CommandTools, type CommandLimits } from '../../../src/application/tools/command.tools.js';
import { CommandPolicy } from '../../../src/domain/security/command-policy.js';
import { Grants } from '../../../src/domain/auth/grants.js';
import { maskArgv } from '../../../src/domain/security/argv-masking.js';
import type { DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { InMemoryOutbox } from '../../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { RecordingLogger, workspaceScopes } from '../../support/builders.js';

const RESULT: ExecutionResult = { exitCode: 0, signal: null, stdout: 'hello\n', stderr: '', stdoutTruncated: false, stderrTruncated: false, timedOut: false, cancelled: false, durationMs: 3 };

/** A backend that records what it was asked and answers at once (or when released). */
class FakeBackend implements Executor {
  readonly requests: ExecutionRequest[] = [];
  shutdowns = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};
  readonly isolation = { contained: true, description: 'fake' };
  constructor(readonly backend: string) {}
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open();
  }
  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    this.requests.push(request);
    await this.gate;
    return RESULT;
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

const context = (): ToolContext => ({ sessionId: 'session-1', signal: new AbortController().signal, progress() {}, log() {} });
const LIMITS: CommandLimits = { defaultTimeoutMs: 5000, maxTimeoutMs: 10_000, maxOutputBytes: 4096, envPassthrough: ['PATH'], envRefused: ['LD_*', 'NODE_OPTIONS'], maxMemoryBytes: 2 ** 28 };

describe('execute_command audit and env', () => {
  let root: string;
  let outbox: InMemoryOutbox;
  let lines: Record<string, unknown>[];
  let backend: FakeBackend;
  let tool: ToolDefinition<unknown>;
  let n = 0;

  beforeEach(async () => {
    root = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-audit-')));
    outbox = new InMemoryOutbox(1000, new RecordingLogger());
    lines = [];
    backend = new FakeBackend('fake');
    const audit = new ExecutionAuditTrail(outbox, { write: (entry) => lines.push({ ...entry }) }, () => ({ id: `e${++n}`, occurredAt: new Date(0) }), new RecordingLogger());
    const policy = new CommandPolicy({ allowedCommands: ['echo', 'find'], blockedCommands: ['rm'], unreviewedCommands: ['find'], allowShell: false, allowPathsOutsideRoots: false });
    tool = new CommandTools(backend, workspaceScopes([root]), policy, LIMITS, audit).tools()[0] as ToolDefinition<unknown>;
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const call = (raw: Record<string, unknown>) => tool.run(tool.input.parse(raw), context());
  const events = async (): Promise<DomainEvent[]> => (await outbox.claim(100)).map((entry) => entry.event);

  it('allowed run - one execution.decided event and one audit line with the rule, backend, masked argv and result', async () => {
    await call({ command: 'echo', args: ['--token', 'abc123', 'hi'] });

    const [event, ...more] = await events();
    expect(more).toEqual([]);
    expect(event).toMatchObject({ type: 'execution.decided', version: 1, sessionId: 'session-1' });
    expect(event.data).toMatchObject({
      decision: 'allowed', rule: 'reviewed', backend: 'fake', program: 'echo', argv: ['--token', '[redacted]', 'hi'], cwd: root,
      exitCode: 0, signal: null, durationMs: 3, stdoutBytes: 6, stderrBytes: 0, truncated: false, timedOut: false, killed: false,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ event: 'execution.decided', decision: 'allowed', rule: 'reviewed', sessionId: 'session-1' });
  });

  it('a caller on the context - the event and the audit line name its principal, the envelope carries its actor', async () => {
    const caller = { id: 'key:ci', kind: 'api-key' as const, grants: Grants.everything(), tenant: 'acme' };

    await tool.run(tool.input.parse({ command: 'echo', args: ['hi'] }), { ...context(), origin: 'session-1', caller });

    const [event] = await events();
    expect(event).toMatchObject({ sessionId: 'session-1', actor: { id: 'key:ci', kind: 'api-key', tenant: 'acme' }, data: { principal: 'key:ci', decision: 'allowed' } });
    expect(lines[0]).toMatchObject({ principal: 'key:ci', sessionId: 'session-1' });
  });

  it('a stateless request - no session id (not its scope key), the request\'s trace, the caller\'s principal', async () => {
    const caller = { id: 'oauth:svc', kind: 'oauth' as const, grants: Grants.everything() };
    const trace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    const origin = { principal: caller.id, caller, requestId: 'r-1', protocolVersion: '2026-07-28', trace };

    await tool.run(tool.input.parse({ command: 'rm', args: ['-rf', '/'] }), { ...context(), sessionId: 'request:r-1', origin, caller }).catch(() => undefined);

    const [event] = await events();
    expect('sessionId' in event).toBe(false);
    expect(event).toMatchObject({ trace, actor: { id: 'oauth:svc', kind: 'oauth' }, data: { principal: 'oauth:svc', decision: 'denied' } });
    expect('sessionId' in lines[0]).toBe(false);
  });

  it('denied run - audited once naming the rule, the backend never called, the envelope names the rule', async () => {
    await expect(call({ command: 'find', args: ['.', '-exec', 'id', ';'] })).rejects.toMatchObject({ envelope: { context: { rule: 'find_exec' } } });

    expect(backend.requests).toEqual([]);
    const [event, ...more] = await events();
    expect(more).toEqual([]);
    expect(event.data).toMatchObject({ decision: 'denied', rule: 'find_exec', program: 'find', backend: 'fake' });
    expect(lines).toHaveLength(1);
  });

  it('env - allowlisted server env plus the caller env; a refused name denied and audited', async () => {
    await call({ command: 'echo', env: { LANG: 'C' } });
    expect(backend.requests[0].env).toEqual({ ...(process.env.PATH ? { PATH: process.env.PATH } : {}), LANG: 'C' });
    expect(backend.requests[0].limits).toEqual({ maxMemoryBytes: 2 ** 28 });

    await expect(call({ command: 'echo', env: { LD_PRELOAD: '/tmp/x.so' } })).rejects.toMatchObject({ envelope: { context: { rule: 'env_refused' } } });
    expect(backend.requests).toHaveLength(1);
    expect((await events()).map((e) => (e.data as { rule: string }).rule)).toEqual(['reviewed', 'env_refused']);
  });
});

describe('ExecutorSwitch', () => {
  const request: ExecutionRequest = { command: 'echo', args: [], cwd: '/', timeoutMs: 1000, maxOutputBytes: 1024 };

  it('replace - new runs go to the new backend; a run in flight finishes on the old one, which shuts down after it', async () => {
    const logger = new RecordingLogger();
    const native = new FakeBackend('native');
    const docker = new FakeBackend('docker');
    const executor = new ExecutorSwitch(native, logger);
    native.hold();
    const inFlight = executor.execute(request);

    executor.replace(docker);
    expect(executor.backend).toBe('docker');
    await executor.execute(request);
    expect(native.shutdowns).toBe(0);
    native.release();
    await expect(inFlight).resolves.toEqual(RESULT);
    await new Promise((resolve) => setImmediate(resolve));

    expect(native.requests).toHaveLength(1);
    expect(docker.requests).toHaveLength(1);
    expect(native.shutdowns).toBe(1);
    expect(docker.shutdowns).toBe(0);
    expect(logger.lines.some((line) => line.message === 'execution backend switched')).toBe(true);
  });

  it('health - the current backend, or its isolation when it has no health()', async () => {
    const executor = new ExecutorSwitch(new FakeBackend('native'), new RecordingLogger());
    await expect(executor.health()).resolves.toEqual({ backend: 'native', status: 'up', details: { isolation: 'fake' } });
  });
});

describe('maskArgv', () => {
  it.each([
    [['--password', 'hunter2', 'x'], ['--password', '[redacted]', 'x']],
    [['--api-key=abc'], ['--api-key=[redacted]']],
    [['DB_PASSWORD=pw', 'ls'], ['DB_PASSWORD=[redacted]', 'ls']],
    [['https://user:pw@example.com/x'], ['https://user:[redacted]@example.com/x']],
    [['-H', 'Authorization: Bearer t'], ['-H', 'Authorization: [redacted]']],
    [['-la', 'src'], ['-la', 'src']],
  ])('%j - %j', (args, masked) => {
    expect(maskArgv(args)).toEqual(masked);
  });
});

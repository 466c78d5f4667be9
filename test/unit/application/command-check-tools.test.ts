import { chmod, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExecutorSwitch } from '../../../src/application/execution/executor-switch.js';
import type { ExecutionRequest, ExecutionResult, Executor, LookupContext, ProgramLookup } from '../../../src/application/ports/executor.js';
import { CommandCheckTools } from '../../../src/application/tools/command-check.tools.js';
import { CommandTools, type CommandLimits } from '../../../src/application/tools/command.tools.js';
import type { ToolContext, ToolDefinition } from '../../../src/application/tools/tool-definition.js';
import type { ExecutionDecidedData } from '../../../src/domain/execution/execution.events.js';
import { CommandPolicy, type CommandPolicyOptions } from '../../../src/domain/security/command-policy.js';
import { NativeExecutor } from '../../../src/infrastructure/execution/native-executor.js';
import { madeSchema, RecordingLogger, workspaceScopes } from '../../support/builders.js';

const context: ToolContext = { sessionId: 's', signal: new AbortController().signal, progress: () => undefined, log: () => undefined };

const POLICY: CommandPolicyOptions = {
  allowedCommands: ['ls', 'cat', 'tfo-no-such-program', 'printenv'],
  blockedCommands: ['rm'],
  unreviewedCommands: ['tfo-no-such-program', 'printenv'],
  allowShell: false,
  allowPathsOutsideRoots: false,
};
const LIMITS: CommandLimits = { defaultTimeoutMs: 5000, maxTimeoutMs: 10_000, maxOutputBytes: 64 * 1024, envPassthrough: ['PATH'] };

/** A backend that records what it is asked and can be told how to answer a lookup. */
class ScriptedExecutor implements Executor {
  readonly backend = 'scripted';
  readonly isolation = { contained: true, description: 'test' };
  executed = 0;
  lookups: string[] = [];
  constructor(readonly which?: (command: string, where: LookupContext) => Promise<ProgramLookup>) {}
  async execute(_request: ExecutionRequest): Promise<ExecutionResult> {
    this.executed += 1;
    throw new Error('check_command_exists must never run a program');
  }
  async shutdown(): Promise<void> {}
}

describe('CommandCheckTools check_command_exists', () => {
  let base: string;
  let root: string;
  let native: NativeExecutor;

  beforeAll(async () => {
    base = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-command-check-')));
    root = path.join(base, 'root');
    await mkdir(root);
    await mkdir(path.join(base, 'outside'));
    await writeFile(path.join(base, 'outside', 'secret.txt'), 'outside\n');
    await symlink(path.join(base, 'outside'), path.join(root, 'escape'));
    await writeFile(path.join(root, 'tool.sh'), '#!/bin/sh\necho ran > ran.txt\n');
    await chmod(path.join(root, 'tool.sh'), 0o644);
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  beforeEach(() => {
    native = new NativeExecutor({ killGraceMs: 200 });
  });

  afterEach(async () => {
    await native.shutdown();
  });

  function checker(executor: Pick<Executor, 'backend' | 'which'> = native, policy: CommandPolicyOptions | (() => CommandPolicy) = POLICY, deadlineMs?: number): ToolDefinition<unknown> {
    const current = typeof policy === 'function' ? policy : new CommandPolicy(policy);
    return new CommandCheckTools(executor, workspaceScopes([root]), current, LIMITS, deadlineMs).tools()[0] as ToolDefinition<unknown>;
  }

  async function check(raw: Record<string, unknown>, definition = checker()): Promise<Record<string, unknown>> {
    const output = await definition.run(definition.input.parse(raw), context);
    return output.structuredContent as Record<string, unknown>;
  }

  it('props - a read-only tool named check_command_exists with an output schema', () => {
    const { props } = checker();
    expect(props.name).toBe('check_command_exists');
    expect(props.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(madeSchema(props.outputSchema)?.['properties']).toHaveProperty('rule');
  });

  it('allowed program on PATH - exists at its resolved path, allowed by the reviewed rule', async () => {
    const answer = await check({ command: 'ls' });
    expect(answer).toMatchObject({ command: 'ls', backend: 'native', exists: true, allowed: true, rule: 'reviewed', reason: null });
    expect(answer['path']).toMatch(/\/ls$/);
  });

  it('blocked program that exists - exists, denied naming the blocked rule', async () => {
    const answer = await check({ command: 'rm', args: ['x'] });
    expect(answer).toMatchObject({ exists: true, allowed: false, rule: 'blocked' });
    expect(answer['reason']).toContain('blocked_commands');
  });

  it('allowed program that is missing - does not exist, still allowed (unreviewed_allowed)', async () => {
    const answer = await check({ command: 'tfo-no-such-program' });
    expect(answer).toMatchObject({ exists: false, path: null, allowed: true, rule: 'unreviewed_allowed' });
    expect(answer['existence']).toContain('PATH');
  });

  it('arguments the policy refuses - the program exists, the call is denied by the argument rule', async () => {
    expect(await check({ command: 'cat', args: ['/etc/hostname'] })).toMatchObject({ exists: true, allowed: false, rule: 'path_outside_roots' });
  });

  it('a symlink out of the roots - denied, as execute_command would after resolving it', async () => {
    const answer = await check({ command: 'cat', args: ['escape/secret.txt'] });
    expect(answer).toMatchObject({ exists: true, allowed: false });
  });

  it('an absolute path the policy refuses - not probed, so nothing outside the roots is revealed', async () => {
    const answer = await check({ command: path.join(base, 'outside', 'secret.txt') });
    expect(answer).toMatchObject({ exists: null, path: null, allowed: false, rule: 'absolute_path_not_listed' });
    expect(answer['existence']).toMatch(/^unknown: not looked up/);
  });

  it('an allowed absolute path without the execute bit - not executable, and never run', async () => {
    const program = path.join(root, 'tool.sh');
    const answer = await check({ command: program }, checker(native, { ...POLICY, allowedCommands: [program], unreviewedCommands: [program] }));
    expect(answer).toMatchObject({ exists: false, path: null, allowed: true });
    expect(answer['existence']).toContain('may not execute');
  });

  it('same decisions as execute_command - for each request the allow/deny and rule match its audit', async () => {
    const audited: ExecutionDecidedData[] = [];
    const policy = new CommandPolicy(POLICY);
    const execute = new CommandTools(native, workspaceScopes([root]), policy, LIMITS, { record: async (entry) => void audited.push(entry) }).tools()[0] as ToolDefinition<unknown>;
    const requests = [
      { command: 'ls' },
      { command: 'rm', args: ['-rf', 'x'] },
      { command: 'cat', args: ['/etc/hostname'] },
      { command: 'cat', args: ['escape/secret.txt'] },
      { command: 'sh', args: ['-c', 'true'] },
      { command: 'printenv', args: ['PATH'] },
      { command: './tool.sh' },
    ];
    for (const request of requests) {
      audited.length = 0;
      await execute.run(execute.input.parse(request), context).catch(() => undefined);
      const answer = await check(request, checker(native, () => policy));
      expect({ request, allowed: answer['allowed'], rule: answer['rule'] }).toEqual({ request, allowed: audited[0]?.decision === 'allowed', rule: audited[0]?.rule });
    }
  });

  it('the policy replaced (a reload) - the next answer uses the new one', async () => {
    let policy = new CommandPolicy(POLICY);
    const definition = checker(native, () => policy);
    expect(await check({ command: 'ls' }, definition)).toMatchObject({ allowed: true, rule: 'reviewed' });
    policy = new CommandPolicy({ ...POLICY, blockedCommands: ['ls'] });
    expect(await check({ command: 'ls' }, definition)).toMatchObject({ allowed: false, rule: 'blocked' });
  });

  it('a backend without a lookup, behind the switch - existence unknown (said so), policy still answered, nothing run', async () => {
    const backend = new ScriptedExecutor();
    const answer = await check({ command: 'ls' }, checker(new ExecutorSwitch(backend, new RecordingLogger())));
    expect(answer).toMatchObject({ backend: 'scripted', exists: null, allowed: true, rule: 'reviewed' });
    expect(answer['existence']).toBe('unknown: the scripted backend cannot look a program up without running it');
    expect(backend.executed).toBe(0);
  });

  it('a backend whose lookup hangs - unknown within the deadline', async () => {
    const backend = new ScriptedExecutor(() => new Promise<ProgramLookup>(() => undefined));
    const started = Date.now();
    const answer = await check({ command: 'ls' }, checker(new ExecutorSwitch(backend, new RecordingLogger()), POLICY, 100));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(answer).toMatchObject({ exists: null, allowed: true });
    expect(answer['existence']).toBe('unknown: the scripted backend did not answer within 100 ms');
  });

  it('the lookup gets the PATH commands get and the workspace root as cwd', async () => {
    const seen: LookupContext[] = [];
    const backend = new ScriptedExecutor(async (_command, where) => {
      seen.push(where);
      return { status: 'found', path: '/opt/bin/ls' };
    });
    const answer = await check({ command: 'ls' }, checker(new ExecutorSwitch(backend, new RecordingLogger())));
    expect(answer).toMatchObject({ exists: true, path: '/opt/bin/ls' });
    expect(seen).toEqual([expect.objectContaining({ cwd: root, env: { PATH: process.env['PATH'] } })]);
  });
});

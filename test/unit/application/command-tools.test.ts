import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ToolFailure } from '../../../src/application/application.errors.js';
import type { ToolContext, ToolDefinition, ToolOutput } from '../../../src/application/tools/tool-definition.js';
import { CommandPolicy, type CommandPolicyOptions } from '../../../src/domain/security/command-policy.js';
import type { LogLevelName } from '../../../src/domain/session/log-level.js';
import { NativeExecutor } from '../../../src/infrastructure/execution/native-executor.js';
import { madeSchema, workspaceScopes } from '../../support/builders.js';
import { CommandTools, type CommandLimits } from '../../../src/application/tools/command.tools.js';

interface RecordingContext extends ToolContext {
  readonly progressCalls: number[];
  readonly logs: { level: LogLevelName; data: unknown }[];
}

function context(signal: AbortSignal = new AbortController().signal): RecordingContext {
  const progressCalls: number[] = [];
  const logs: { level: LogLevelName; data: unknown }[] = [];
  return {
    sessionId: 's',
    signal,
    progressCalls,
    logs,
    progress(progress) {
      progressCalls.push(progress);
    },
    log(level, data) {
      logs.push({ level, data });
    },
  };
}

const POLICY: CommandPolicyOptions = {
  allowedCommands: ['echo', 'cat', 'ls', 'sh', 'sleep', 'printenv', 'false'],
  blockedCommands: ['rm', 'sudo'],
  // printenv has no reviewed rule; listing it here is the operator's explicit, knowing choice.
  unreviewedCommands: ['printenv'],
  allowShell: false,
  allowPathsOutsideRoots: false,
};
const LIMITS: CommandLimits = {
  defaultTimeoutMs: 5000,
  maxTimeoutMs: 10_000,
  maxOutputBytes: 64 * 1024,
  envPassthrough: ['PATH', 'TFO_TEST_PLAIN', 'TFO_TEST_API_KEY', 'TFO_TEST_SESSION_TOKEN'],
};

describe('CommandTools execute_command', () => {
  let base: string;
  let root: string;
  let outside: string;
  let executor: NativeExecutor;

  beforeAll(async () => {
    base = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-command-tools-')));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await mkdir(path.join(root, 'sub'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(root, 'inside.txt'), 'inside\n');
    await writeFile(path.join(outside, 'secret.txt'), 'outside secret\n');
    await symlink(outside, path.join(root, 'escape'));
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  beforeEach(() => {
    executor = new NativeExecutor({ killGraceMs: 200 });
  });

  afterEach(async () => {
    await executor.shutdown();
  });

  function tool(policy: Partial<CommandPolicyOptions> = {}, limits: Partial<CommandLimits> = {}): ToolDefinition<unknown> {
    const family = new CommandTools(executor, workspaceScopes([root]), new CommandPolicy({ ...POLICY, ...policy }), { ...LIMITS, ...limits });
    return family.tools()[0] as ToolDefinition<unknown>;
  }

  async function call(raw: Record<string, unknown>, ctx: ToolContext = context(), definition = tool()): Promise<ToolOutput> {
    return definition.run(definition.input.parse(raw), ctx);
  }

  async function failure(promise: Promise<unknown>): Promise<ToolFailure> {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ToolFailure);
    return error as ToolFailure;
  }

  it('props - describes a destructive, open-world tool with an output schema', () => {
    const { props } = tool();
    expect(props.name).toBe('execute_command');
    expect(props.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true });
    expect(madeSchema(props.outputSchema)?.['properties']).toHaveProperty('exit_code');
    expect(props.description).toContain('argv');
  });

  it('run - allowed command - returns its output as structured data', async () => {
    const ctx = context();
    const output = await call({ command: 'echo', args: ['hello', 'world'] }, ctx);
    expect(output.structuredContent).toEqual({
      command: 'echo',
      args: ['hello', 'world'],
      cwd: root,
      exit_code: 0,
      signal: null,
      stdout: 'hello world\n',
      stderr: '',
      stdout_truncated: false,
      stderr_truncated: false,
      timed_out: false,
      duration_ms: expect.any(Number),
    });
    expect(JSON.parse((output.content[0] as { text: string }).text)).toEqual(output.structuredContent);
    expect(ctx.logs).toEqual([{ level: 'debug', data: expect.objectContaining({ command: 'echo', cwd: root }) }]);
    expect(ctx.progressCalls.length).toBeGreaterThan(0);
  });

  it('run - relative path arg and cwd inside the roots - runs there', async () => {
    const output = await call({ command: 'cat', args: ['../inside.txt'], cwd: 'sub' });
    expect(output.structuredContent).toMatchObject({ cwd: path.join(root, 'sub'), stdout: 'inside\n', exit_code: 0 });
  });

  it('run - non-zero exit - is data, not a failure', async () => {
    const output = await call({ command: 'false' });
    expect(output.structuredContent).toMatchObject({ exit_code: 1, timed_out: false });
  });

  it('run - path arg that does not exist yet - is checked lexically only', async () => {
    const output = await call({ command: 'ls', args: ['./not-there-yet/deeper'] });
    expect(output.structuredContent).toMatchObject({ exit_code: 2 });
  });

  it('run - blocked command - fails with the policy envelope and no internal error text', async () => {
    const error = await failure(call({ command: 'rm', args: ['-rf', 'sub'] }));
    expect(error.envelope).toMatchObject({ error: 'command denied by policy', retryable: false, context: { command: 'rm', rule: 'blocked' } });
    expect(error.envelope.reason).toBe('command "rm" is blocked by execution.security.blocked_commands');
    expect(error.envelope.suggested_actions.length).toBeGreaterThan(0);
    expect(JSON.stringify(error.envelope)).not.toMatch(/DomainError|at .*\.ts|node:internal/);
  });

  it('run - shell line by default - is refused', async () => {
    const error = await failure(call({ command: 'echo hi; cat /etc/passwd', shell: true }));
    expect(error.envelope.context).toMatchObject({ rule: 'shell_disabled' });
  });

  it('run - shell line when allowed - runs through /bin/sh', async () => {
    const output = await call({ command: 'echo one | cat', shell: true }, context(), tool({ allowShell: true }));
    expect(output.structuredContent).toMatchObject({ stdout: 'one\n', exit_code: 0 });
  });

  it('run - cwd outside the roots - is refused', async () => {
    const error = await failure(call({ command: 'ls', cwd: outside }));
    expect(error.envelope.error).toBe('path outside allowed roots');
  });

  it('run - path arg outside the roots - is refused by the policy', async () => {
    const error = await failure(call({ command: 'cat', args: [path.join(outside, 'secret.txt')] }));
    expect(error.envelope).toMatchObject({ error: 'command denied by policy', context: { rule: 'path_outside_roots' } });
  });

  it.each(['escape/secret.txt', './escape/secret.txt', 'escape', 'escape/not-created-yet'])(
    'run - arg %s through a symlink leading outside - is refused after realpath',
    async (arg) => {
      const error = await failure(call({ command: 'ls', args: [arg] }));
      expect(error.envelope.error).toBe('path outside allowed roots');
    },
  );

  it.each([['--file=escape/secret.txt', 'x'], ['-fescape/secret.txt', 'x'], ['-f', 'escape/secret.txt', 'x'], ['x', 'escape/secret.txt']])(
    'run - grep %s: a path value through a symlink leading outside - is refused after realpath',
    async (...args) => {
      const error = await failure(call({ command: 'grep', args }, context(), tool({ allowedCommands: ['grep'] })));
      expect(error.envelope.error).toBe('path outside allowed roots');
    },
  );

  it('run - a symlink inside a root leading to /proc/<pid> - is refused even when the root is /', async () => {
    await symlink('/proc/self/environ', path.join(root, 'environ-link'));
    const family = new CommandTools(executor, workspaceScopes(['/']), new CommandPolicy(POLICY), LIMITS);
    const definition = family.tools()[0] as ToolDefinition<unknown>;
    const error = await failure(call({ command: 'cat', args: [path.join(root, 'environ-link')] }, context(), definition));
    expect(error.envelope).toMatchObject({ error: 'command denied by policy', context: { rule: 'secret_path' } });
  });

  it('run - diff of directories holding a symlink that leads outside - compares the link, never its target', async () => {
    await mkdir(path.join(root, 'left'));
    await mkdir(path.join(root, 'right'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'left', 'secret.txt'));
    await writeFile(path.join(root, 'right', 'secret.txt'), 'other\n');
    const output = await call({ command: 'diff', args: ['-r', 'left', 'right'] }, context(), tool({ allowedCommands: ['diff'] }));
    expect(JSON.stringify(output.structuredContent)).not.toContain('outside secret');
    expect(output.structuredContent).toMatchObject({ args: ['-r', 'left', 'right'], stdout: expect.stringContaining('symbolic link') });
  });

  it('run - paths outside allowed by config - runs', async () => {
    const output = await call({ command: 'cat', args: ['escape/secret.txt'] }, context(), tool({ allowPathsOutsideRoots: true }));
    expect(output.structuredContent).toMatchObject({ stdout: 'outside secret\n' });
  });

  it('run - timeout - fails retryably with advice and stops the program', async () => {
    const started = Date.now();
    const error = await failure(call({ command: 'sleep', args: ['5'], timeout_ms: 200 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.envelope).toMatchObject({ error: 'command timed out', retryable: true });
    expect(error.envelope.suggested_actions.join(' ')).toContain('timeout_ms (up to 10000)');
  });

  it('run - timeout above the maximum - is capped at the maximum', async () => {
    const started = Date.now();
    const error = await failure(call({ command: 'sleep', args: ['5'], timeout_ms: 600_000 }, context(), tool({}, { maxTimeoutMs: 300 })));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.envelope.context).toMatchObject({ timeout_ms: 300 });
  });

  it('run - cancelled request - fails as cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(call({ command: 'sleep', args: ['5'] }, context(controller.signal)));
    expect(error.envelope.error).toBe('command cancelled');
  });

  it('run - unknown program - fails as command not found', async () => {
    const error = await failure(call({ command: 'tfo-no-such-program-xyz' }, context(), tool({ allowedCommands: ['*'], unreviewedCommands: ['*'] })));
    expect(error.envelope).toMatchObject({ error: 'command not found', retryable: false });
    expect(error.envelope.suggested_actions.join(' ')).toContain('allowed_commands');
  });

  it('run - secrets in the server env - never reach the child, even when listed', async () => {
    process.env['TFO_TEST_API_KEY'] = 'sekrit';
    process.env['TFO_TEST_SESSION_TOKEN'] = 'sekrit-token';
    process.env['TFO_TEST_PLAIN'] = 'visible';
    process.env['TFO_TEST_UNLISTED'] = 'unlisted';
    try {
      const output = await call({ command: 'printenv' });
      const stdout = String(output.structuredContent?.['stdout']);
      expect(stdout).toContain('TFO_TEST_PLAIN=visible');
      expect(stdout).toContain('PATH=');
      expect(stdout).not.toContain('sekrit');
      expect(stdout).not.toContain('TFO_TEST_UNLISTED');
    } finally {
      for (const name of ['TFO_TEST_API_KEY', 'TFO_TEST_SESSION_TOKEN', 'TFO_TEST_PLAIN', 'TFO_TEST_UNLISTED']) delete process.env[name];
    }
  });

  it('input - defaults and limits - args default to [] and oversized stdin is rejected', () => {
    const { input } = tool();
    expect(input.parse({ command: 'ls' })).toMatchObject({ args: [], shell: false });
    expect(input.safeParse({ command: 'cat', stdin: 'x'.repeat(1_000_001) }).success).toBe(false);
    expect(input.safeParse({ command: '' }).success).toBe(false);
  });
});

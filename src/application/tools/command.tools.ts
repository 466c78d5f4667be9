import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { ToolFailure, type ToolErrorEnvelope } from '../application.errors.js';
import type { ExecutionResult, Executor } from '../ports/executor.js';
import type { Workspace } from '../ports/workspace.js';
import type { WorkspaceScopes } from '../workspace/workspace-scopes.js';
import { admit, type InFlightBudget } from '../limits/in-flight-budget.js';
import { EXECUTION_BUDGET } from '../limits/budgets.js';
import type { ToolContext, ToolDefinition, ToolFamily, ToolOutput } from './tool-definition.js';
import type { CommandDecision, CommandPolicy, PathUse } from '../../domain/security/command-policy.js';
import { isSecretPath } from '../../domain/security/secret-paths.js';
import { maskArgv } from '../../domain/security/argv-masking.js';
import { EnvPolicy } from '../../domain/security/env-policy.js';
import { runLimits, type ResourceLimitOptions, type RunLimits } from '../../domain/security/resource-limits.js';
import type { ExecutionDecidedData } from '../../domain/execution/execution.events.js';
import type { ExecutionAudit } from '../ports/execution-audit.js';
import { eventActorOf } from '../../domain/auth/principal.js';
import { sessionIdOf } from '../origin.js';
import { defineTool, outputSchemaOf, structured } from './define-tool.js';
import { toToolFailure } from './tool-failures.js';

export interface CommandLimits {
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly maxOutputBytes: number;
  readonly envPassthrough: readonly string[];
  /** execution.security.env_refused: refused from callers, dropped from the passthrough. */
  readonly envRefused?: readonly string[];
  /** execution.security.max_execution_time and the per-run resource limits. */
  readonly maxExecutionTimeMs?: number;
  readonly maxMemoryBytes?: number;
  readonly maxCpus?: number;
  readonly maxProcesses?: number;
  /** Running commands, per session and in all; absent = unbounded. */
  readonly executions?: InFlightBudget;
}

/** What a reload may replace: the policy and limits of the backend now in use. */
export type Current<T> = T | (() => T);

const MAX_STDIN_CHARS = 1_000_000;
const PROGRESS_INTERVAL_MS = 250;
/** They change how programs read argv (no permuting, obsolete forms), which the policy's reading of it assumes. */
const ARGV_PARSING_NAMES = ['POSIXLY_CORRECT', '_POSIX2_VERSION'];
/** Errors meaning "nothing exists there (yet)": the existing ancestor is what must be inside. */
const NOT_A_PATH = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG']);

const input = z.object({
  command: z.string().min(1).max(4096).describe('Program to run, e.g. "ls" (argv form: not a shell line unless shell is true).'),
  args: z.array(z.string().max(65_536)).max(1024).default([]).describe('Arguments, one per element; no quoting or globbing is applied.'),
  cwd: z.string().min(1).max(4096).optional().describe('Working directory inside the workspace roots (default: the first root).'),
  timeout_ms: z.number().int().positive().optional().describe('Time limit in milliseconds; capped at the server maximum.'),
  stdin: z.string().max(MAX_STDIN_CHARS).optional().describe('Text written to the program\'s standard input.'),
  shell: z.boolean().default(false).describe('Run "command" as a /bin/sh line; refused unless the server allows shells.'),
  env: z.record(z.string().max(256), z.string().max(65_536)).optional()
    .describe('Extra environment variables (loader and start-up hooks such as LD_PRELOAD or NODE_OPTIONS are refused).'),
});
type Input = z.infer<typeof input>;

const output = z.object({
  command: z.string(),
  args: z.array(z.string()),
  cwd: z.string(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
  timed_out: z.boolean(),
  duration_ms: z.number(),
});

/** `execute_command`: one program run through the Executor, after the CommandPolicy and the Workspace agree. */
export class CommandTools implements ToolFamily {
  private readonly definitions: readonly ToolDefinition<unknown>[];

  constructor(
    private readonly executor: Executor,
    private readonly workspaces: WorkspaceScopes,
    private readonly currentPolicy: Current<CommandPolicy>,
    private readonly currentLimits: Current<CommandLimits>,
    private readonly audit?: ExecutionAudit,
  ) {
    this.definitions = [this.executeCommand()];
  }

  private get policy(): CommandPolicy {
    return typeof this.currentPolicy === 'function' ? this.currentPolicy() : this.currentPolicy;
  }

  private get limits(): CommandLimits {
    return typeof this.currentLimits === 'function' ? this.currentLimits() : this.currentLimits;
  }

  tools(): readonly ToolDefinition<unknown>[] {
    return this.definitions;
  }

  private executeCommand(): ToolDefinition<unknown> {
    const { defaultTimeoutMs, maxTimeoutMs, maxOutputBytes } = this.limits;
    return defineTool<Input>({
      // A long build or test run outlives its request as a task where the client can hold one.
      taskSupport: 'optional',
      props: {
        name: 'execute_command',
        title: 'Execute command',
        description:
          'Runs one program with arguments (argv form: "command" is the program, "args" its arguments; no shell, ' +
          'so no pipes, redirects, globbing or variable expansion unless shell=true is allowed by the server). ' +
          `Allowed programs: ${this.policy.allowedCommands.join(', ') || 'none'}. Paths in arguments must stay inside the ` +
          `workspace roots. Default timeout ${defaultTimeoutMs} ms, maximum ${maxTimeoutMs} ms; stdout and stderr are ` +
          `each cut at ${maxOutputBytes} bytes (see *_truncated). A non-zero exit code is reported in the result, not as an error.`,
        outputSchema: () => outputSchemaOf(output),
        annotations: { title: 'Execute command', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      },
      input,
      run: (args, context) => this.run(args, context),
    });
  }

  private async run(request: Input, context: ToolContext): Promise<ToolOutput> {
    const failureContext = { command: request.command };
    const policy = this.policy;
    const limits = this.limits;
    const executionId = randomUUID();
    let cwd: string | undefined;
    let roots: readonly string[] = [];
    let decision: CommandDecision;
    let env: Record<string, string>;
    try {
      const workspace = await this.workspaces.for(context.client);
      cwd = await workspace.resolve(request.cwd ?? '.', 'read');
      roots = workspace.roots();
      decision = policy.check({ command: request.command, args: request.args, shell: request.shell, cwd, roots });
      if (!policy.allowPathsOutsideRoots) await checkRealPaths(workspace, decision.paths);
      env = envPolicy(limits).childEnv(process.env, request.env);
    } catch (error) {
      const failure = toToolFailure(error, failureContext);
      await this.record(context, { executionId, decision: 'denied', rule: ruleOf(failure), reason: failure.envelope.reason, program: request.command, argv: maskArgv(request.args), ...(cwd ? { cwd } : {}) });
      throw failure;
    }
    const run = runLimits(resourceOptions(limits), request.timeout_ms);
    context.log('debug', { tool: 'execute_command', command: request.command, args: maskArgv(request.args), cwd, shell: request.shell, timeout_ms: run.timeoutMs });
    const budget = limits.executions;
    const release = budget ? admit(budget, EXECUTION_BUDGET, context.sessionId) : () => {};
    const allowed = { executionId, decision: 'allowed' as const, rule: decision.rule, program: request.command, argv: maskArgv(request.args), cwd };
    let result: ExecutionResult;
    try {
      // The policy may put arguments in front (diff --no-dereference); the result still echoes the caller's.
      result = await this.execute({ ...request, args: [...decision.args] }, { cwd, env, roots }, run, context);
    } catch (error) {
      await this.record(context, { ...allowed, error: error instanceof ToolFailure ? error.envelope.error : 'execution failed' });
      throw error;
    } finally {
      release();
    }
    await this.record(context, { ...allowed, ...auditedResult(result) });
    if (result.timedOut) throw timeoutFailure(request.command, run.timeoutMs, run.maxTimeoutMs, result);
    if (result.cancelled) throw cancelledFailure(request.command);
    return structured({
      command: request.command,
      args: request.args,
      cwd,
      exit_code: result.exitCode,
      signal: result.signal,
      stdout: result.stdout,
      stderr: result.stderr,
      stdout_truncated: result.stdoutTruncated,
      stderr_truncated: result.stderrTruncated,
      timed_out: result.timedOut,
      duration_ms: result.durationMs,
    });
  }

  /**
   * The decision, with who asked: the caller's principal and actor, the session (none for a
   * stateless request, whose trace it carries instead) — from the Origin ExecuteTool put on the
   * context; a context without one is known only by its scope key.
   */
  private async record(context: ToolContext, entry: Omit<ExecutionDecidedData, 'backend'>): Promise<void> {
    if (!this.audit) return;
    const { origin, caller } = context;
    const decided = { ...entry, ...(caller ? { principal: caller.id } : {}), backend: this.executor.backend };
    if (origin === undefined) return this.audit.record(decided, context.sessionId, undefined, caller ? eventActorOf(caller) : undefined);
    const trace = typeof origin === 'string' ? undefined : origin.trace;
    await this.audit.record(decided, sessionIdOf(origin), trace, caller ? eventActorOf(caller) : undefined);
  }

  private async execute(request: Input, where: { cwd: string; env: Record<string, string>; roots: readonly string[] }, run: RunLimits, context: ToolContext): Promise<ExecutionResult> {
    const { cwd, env, roots } = where;
    try {
      return await this.executor.execute({
        command: request.command,
        args: request.args,
        cwd,
        env,
        stdin: request.stdin,
        timeoutMs: run.timeoutMs,
        maxOutputBytes: run.maxOutputBytes,
        shell: request.shell,
        signal: context.signal,
        onOutput: throttledProgress(context),
        limits: run.limits,
        roots,
      });
    } catch (error) {
      throw commandFailure(error, request.command);
    }
  }
}

/**
 * The policy's check is lexical; the Workspace resolves symlinks. A link inside the roots that
 * points out of them (or at /proc/<pid>) is refused here, whatever the program would do with it.
 * check_command_exists asks the same question, so it answers what execute_command would do.
 */
export async function checkRealPaths(workspace: Workspace, paths: readonly PathUse[]): Promise<void> {
  for (const use of paths) {
    // `~` paths were refused by the policy already.
    if (use.resolved === undefined) continue;
    // 'write' follows dangling links to where a file would be created.
    const real = use.access === 'write' ? await workspace.resolve(use.resolved, 'write') : await resolveExistingPart(workspace, use.resolved);
    if (isSecretPath(real)) throw secretPathFailure(use.arg);
  }
}

/** A path that does not exist (yet) is checked through its nearest existing ancestor. */
async function resolveExistingPart(workspace: Workspace, target: string): Promise<string> {
  for (let current = target; ; current = path.dirname(current)) {
    try {
      return await workspace.resolve(current, 'read');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      if (!NOT_A_PATH.has(String(code)) || path.dirname(current) === current) throw error;
    }
  }
}

/** The environment a run gets (check_command_exists reads its PATH from the same policy). */
export function envPolicy(limits: CommandLimits): EnvPolicy {
  return new EnvPolicy({ passthrough: limits.envPassthrough, refused: [...(limits.envRefused ?? []), ...ARGV_PARSING_NAMES] });
}

function resourceOptions(limits: CommandLimits): ResourceLimitOptions {
  return {
    defaultTimeoutMs: limits.defaultTimeoutMs,
    maxTimeoutMs: limits.maxTimeoutMs,
    maxOutputBytes: limits.maxOutputBytes,
    ...(limits.maxExecutionTimeMs !== undefined ? { maxExecutionTimeMs: limits.maxExecutionTimeMs } : {}),
    ...(limits.maxMemoryBytes !== undefined ? { maxMemoryBytes: limits.maxMemoryBytes } : {}),
    ...(limits.maxCpus !== undefined ? { maxCpus: limits.maxCpus } : {}),
    ...(limits.maxProcesses !== undefined ? { maxProcesses: limits.maxProcesses } : {}),
  };
}

/** The audit's view of a run: bytes as kept (UTF-16 length is close enough for counting), never the output itself. */
function auditedResult(result: ExecutionResult): Partial<ExecutionDecidedData> {
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: result.durationMs,
    stdoutBytes: Buffer.byteLength(result.stdout),
    stderrBytes: Buffer.byteLength(result.stderr),
    truncated: result.stdoutTruncated || result.stderrTruncated,
    timedOut: result.timedOut,
    killed: result.timedOut || result.cancelled || result.signal !== null,
  };
}

function ruleOf(failure: ToolFailure): string {
  const rule = failure.envelope.context?.['rule'];
  return typeof rule === 'string' ? rule : failure.envelope.error;
}

function throttledProgress(context: ToolContext): (stream: 'stdout' | 'stderr', bytes: number) => void {
  let total = 0;
  let last = 0;
  return (_stream, bytes) => {
    total += bytes;
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    context.progress(total, undefined, `${total} bytes of output so far`);
  };
}

function secretPathFailure(arg: string): ToolFailure {
  return new ToolFailure({
    error: 'command denied by policy',
    reason: `argument "${arg}" leads to process memory or environment (/proc/<pid>, /dev/mem…), which may hold the server's secrets`,
    suggested_actions: ['name files inside the workspace roots'],
    retryable: false,
    context: { rule: 'secret_path', arg },
  });
}

function timeoutFailure(command: string, timeoutMs: number, maxTimeoutMs: number, result: ExecutionResult): ToolFailure {
  const raise = timeoutMs < maxTimeoutMs
    ? `raise timeout_ms (up to ${maxTimeoutMs})`
    : 'ask the operator to raise execution.security.max_command_timeout_ms';
  return new ToolFailure({
    error: 'command timed out',
    reason: `"${command}" did not finish within ${timeoutMs} ms; its process group was stopped`,
    suggested_actions: [raise, 'narrow the command so it does less work (fewer files, a smaller range)'],
    retryable: true,
    // What it printed before the limit often shows where it got stuck.
    context: { command, timeout_ms: timeoutMs, max_timeout_ms: maxTimeoutMs, partial_stdout: result.stdout.slice(0, 2000), partial_stderr: result.stderr.slice(0, 2000) },
  });
}

function cancelledFailure(command: string): ToolFailure {
  return new ToolFailure({
    error: 'command cancelled',
    reason: 'the request was cancelled before the command finished; its process group was stopped',
    suggested_actions: ['run it again if the result is still needed'],
    retryable: true,
    context: { command },
  });
}

const SPAWN_ERRORS: Record<string, Omit<ToolErrorEnvelope, 'context'>> = {
  ENOENT: {
    error: 'command not found',
    reason: 'no program by that name exists on the PATH the server gives commands',
    suggested_actions: ['check the spelling', 'use a program listed in execution.security.allowed_commands (see config://server)'],
    retryable: false,
  },
  EACCES: {
    error: 'command not executable',
    reason: 'the program exists but the server user may not execute it',
    suggested_actions: ['use another program listed in execution.security.allowed_commands'],
    retryable: false,
  },
};

/** Spawn failures get command wording; the generic errno table speaks of files. */
function commandFailure(error: unknown, command: string): ToolFailure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known = typeof code === 'string' ? SPAWN_ERRORS[code] : undefined;
  if (known) return new ToolFailure({ ...known, context: { command, code } }, { cause: error });
  return toToolFailure(error, { command });
}

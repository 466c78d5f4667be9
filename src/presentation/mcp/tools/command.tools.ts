import path from 'node:path';
import { z } from 'zod';
import { ToolFailure, type ToolErrorEnvelope } from '../../../application/application.errors.js';
import type { ExecutionResult, Executor } from '../../../application/ports/executor.js';
import type { Workspace } from '../../../application/ports/workspace.js';
import type { WorkspaceScopes } from '../../../application/workspace/workspace-scopes.js';
import type { ToolContext, ToolDefinition, ToolFamily, ToolOutput } from '../../../application/tools/tool-definition.js';
import { pathLikeArgs, type CommandPolicy } from '../../../domain/security/command-policy.js';
import { defineTool, outputSchemaOf, structured } from './define-tool.js';
import { toToolFailure } from './tool-failures.js';

export interface CommandLimits {
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly maxOutputBytes: number;
  readonly envPassthrough: readonly string[];
}

const MAX_STDIN_CHARS = 1_000_000;
const PROGRESS_INTERVAL_MS = 250;
/** Never handed to a child, even when an operator lists them in env_passthrough. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD/i;
/** Errors meaning "nothing exists there (yet)": the existing ancestor is what must be inside. */
const NOT_A_PATH = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG']);

const input = z.object({
  command: z.string().min(1).max(4096).describe('Program to run, e.g. "ls" (argv form: not a shell line unless shell is true).'),
  args: z.array(z.string().max(65_536)).max(1024).default([]).describe('Arguments, one per element; no quoting or globbing is applied.'),
  cwd: z.string().min(1).max(4096).optional().describe('Working directory inside the workspace roots (default: the first root).'),
  timeout_ms: z.number().int().positive().optional().describe('Time limit in milliseconds; capped at the server maximum.'),
  stdin: z.string().max(MAX_STDIN_CHARS).optional().describe('Text written to the program\'s standard input.'),
  shell: z.boolean().default(false).describe('Run "command" as a /bin/sh line; refused unless the server allows shells.'),
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
    private readonly policy: CommandPolicy,
    private readonly limits: CommandLimits,
  ) {
    this.definitions = [this.executeCommand()];
  }

  tools(): readonly ToolDefinition<unknown>[] {
    return this.definitions;
  }

  private executeCommand(): ToolDefinition<unknown> {
    const { defaultTimeoutMs, maxTimeoutMs, maxOutputBytes } = this.limits;
    return defineTool<Input>({
      props: {
        name: 'execute_command',
        title: 'Execute command',
        description:
          'Runs one program with arguments (argv form: "command" is the program, "args" its arguments; no shell, ' +
          'so no pipes, redirects, globbing or variable expansion unless shell=true is allowed by the server). ' +
          `Allowed programs: ${this.policy.allowedCommands.join(', ') || 'none'}. Paths in arguments must stay inside the ` +
          `workspace roots. Default timeout ${defaultTimeoutMs} ms, maximum ${maxTimeoutMs} ms; stdout and stderr are ` +
          `each cut at ${maxOutputBytes} bytes (see *_truncated). A non-zero exit code is reported in the result, not as an error.`,
        outputSchema: outputSchemaOf(output),
        annotations: { title: 'Execute command', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      },
      input,
      run: (args, context) => this.run(args, context),
    });
  }

  private async run(request: Input, context: ToolContext): Promise<ToolOutput> {
    const failureContext = { command: request.command };
    let cwd: string;
    try {
      const workspace = await this.workspaces.for(context.client);
      cwd = await workspace.resolve(request.cwd ?? '.', 'read');
      this.policy.check({ command: request.command, args: request.args, shell: request.shell, cwd, roots: workspace.roots() });
      if (!this.policy.allowPathsOutsideRoots) await this.checkRealPaths(workspace, request.args, cwd);
    } catch (error) {
      throw toToolFailure(error, failureContext);
    }
    const timeoutMs = Math.min(request.timeout_ms ?? this.limits.defaultTimeoutMs, this.limits.maxTimeoutMs);
    context.log('debug', { tool: 'execute_command', command: request.command, args: request.args, cwd, shell: request.shell, timeout_ms: timeoutMs });
    const result = await this.execute(request, cwd, timeoutMs, context);
    if (result.timedOut) throw timeoutFailure(request.command, timeoutMs, this.limits.maxTimeoutMs, result);
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

  private async execute(request: Input, cwd: string, timeoutMs: number, context: ToolContext): Promise<ExecutionResult> {
    try {
      return await this.executor.execute({
        command: request.command,
        args: request.args,
        cwd,
        env: this.childEnv(),
        stdin: request.stdin,
        timeoutMs,
        maxOutputBytes: this.limits.maxOutputBytes,
        shell: request.shell,
        signal: context.signal,
        onOutput: throttledProgress(context),
      });
    } catch (error) {
      throw commandFailure(error, request.command);
    }
  }

  /** The lexical check in the policy misses symlinks; the Workspace resolves them. */
  private async checkRealPaths(workspace: Workspace, args: readonly string[], cwd: string): Promise<void> {
    for (const target of argumentPaths(args, cwd)) await this.resolveExistingPart(workspace, target);
  }

  /** A path that does not exist yet (an output file) is checked through its nearest existing ancestor. */
  private async resolveExistingPart(workspace: Workspace, target: string): Promise<void> {
    for (let current = target; ; current = path.dirname(current)) {
      try {
        await workspace.resolve(current, 'read');
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException | undefined)?.code;
        if (!NOT_A_PATH.has(String(code)) || path.dirname(current) === current) throw error;
      }
    }
  }

  private childEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of this.limits.envPassthrough) {
      const value = process.env[name];
      if (value !== undefined && !SECRET_NAME.test(name)) env[name] = value;
    }
    return env;
  }
}

/**
 * Every argument that could name a file. Besides the policy's path-like ones this includes plain
 * words and `key=value` values: `escape/x` looks harmless until `escape` is a symlink to /etc.
 */
function argumentPaths(args: readonly string[], cwd: string): Set<string> {
  const targets = new Set<string>();
  for (const candidate of pathLikeArgs(args, cwd)) {
    // `~` paths were refused by the policy already.
    if (candidate.resolved !== undefined) targets.add(candidate.resolved);
  }
  for (const arg of args) {
    if (arg !== '' && !arg.startsWith('-')) targets.add(path.resolve(cwd, arg));
    const equals = arg.indexOf('=');
    if (equals >= 0 && equals < arg.length - 1) targets.add(path.resolve(cwd, arg.slice(equals + 1)));
  }
  return targets;
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

function timeoutFailure(command: string, timeoutMs: number, maxTimeoutMs: number, result: ExecutionResult): ToolFailure {
  const raise = timeoutMs < maxTimeoutMs
    ? `raise timeout_ms (up to ${maxTimeoutMs})`
    : 'ask the operator to raise security.max_command_timeout_ms';
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
    suggested_actions: ['check the spelling', 'use a program listed in security.allowed_commands (see config://server)'],
    retryable: false,
  },
  EACCES: {
    error: 'command not executable',
    reason: 'the program exists but the server user may not execute it',
    suggested_actions: ['use another program listed in security.allowed_commands'],
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

import { z } from 'zod';
import type { ToolFailure } from '../application.errors.js';
import { HealthTimeout, withinDeadline } from '../health/within-deadline.js';
import type { Executor, LookupContext, ProgramLookup } from '../ports/executor.js';
import type { WorkspaceScopes } from '../workspace/workspace-scopes.js';
import type { CommandDecision, CommandPolicy } from '../../domain/security/command-policy.js';
import { checkRealPaths, envPolicy, type CommandLimits, type Current } from './command.tools.js';
import { defineTool, outputSchemaOf, structured } from './define-tool.js';
import type { ToolContext, ToolDefinition, ToolFamily, ToolOutput } from './tool-definition.js';
import { toToolFailure } from './tool-failures.js';

/** A remote backend that hangs must not hold the call: past this, existence is "unknown". */
const DEFAULT_LOOKUP_DEADLINE_MS = 2000;

const input = z.object({
  command: z.string().min(1).max(4096).describe('Program to look up, e.g. "git" (a bare name, or an absolute path).'),
  args: z.array(z.string().max(65_536)).max(1024).default([])
    .describe('Arguments execute_command would be given; the policy reviews them too (default: none).'),
});
type Input = z.infer<typeof input>;

const output = z.object({
  command: z.string(),
  backend: z.string(),
  exists: z.boolean().nullable().describe('null when this backend cannot tell without running something'),
  path: z.string().nullable(),
  existence: z.string(),
  allowed: z.boolean(),
  rule: z.string().describe('the policy rule that allowed or denied the command'),
  reason: z.string().nullable(),
});

interface Verdict {
  readonly allowed: boolean;
  readonly rule: string;
  readonly reason: string | null;
}

/**
 * `check_command_exists`: whether execute_command could run a program, asked of the same policy
 * object and the same backend it would use, without running anything. The two answers are kept
 * apart: a program can exist and be refused, or be allowed and be missing.
 */
export class CommandCheckTools implements ToolFamily {
  private readonly definitions: readonly ToolDefinition<unknown>[];

  constructor(
    private readonly executor: Pick<Executor, 'backend' | 'which'>,
    private readonly workspaces: WorkspaceScopes,
    private readonly currentPolicy: Current<CommandPolicy>,
    private readonly currentLimits: Current<CommandLimits>,
    private readonly lookupDeadlineMs = DEFAULT_LOOKUP_DEADLINE_MS,
  ) {
    this.definitions = [this.checkCommandExists()];
  }

  tools(): readonly ToolDefinition<unknown>[] {
    return this.definitions;
  }

  private checkCommandExists(): ToolDefinition<unknown> {
    return defineTool<Input>({
      props: {
        name: 'check_command_exists',
        title: 'Check command',
        description:
          'Says whether a program exists on the execution backend now in use (resolved on the PATH execute_command ' +
          'gives programs) and whether the security policy would allow it with the given arguments, naming the rule ' +
          'that allows or denies it. Never runs the program. Answers can change when the operator reloads the configuration.',
        outputSchema: () => outputSchemaOf(output),
        annotations: { title: 'Check command', readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      input,
      run: (request, context) => this.run(request, context),
    });
  }

  private async run(request: Input, context: ToolContext): Promise<ToolOutput> {
    const policy = typeof this.currentPolicy === 'function' ? this.currentPolicy() : this.currentPolicy;
    const limits = typeof this.currentLimits === 'function' ? this.currentLimits() : this.currentLimits;
    let where: LookupContext;
    let verdict: Verdict;
    try {
      const workspace = await this.workspaces.for(context.client);
      const cwd = await workspace.resolve('.', 'read');
      where = { cwd, env: envPolicy(limits).childEnv(process.env), signal: context.signal };
      verdict = await review(async () => {
        const decision = policy.check({ command: request.command, args: request.args, shell: false, cwd, roots: workspace.roots() });
        if (!policy.allowPathsOutsideRoots) await checkRealPaths(workspace, decision.paths);
        return decision;
      });
    } catch (error) {
      throw toToolFailure(error, { command: request.command });
    }
    // A path is probed only once the policy accepts it: a refused one could reveal files outside the roots.
    const lookup: ProgramLookup = request.command.includes('/') && !verdict.allowed
      ? { status: 'unknown', reason: 'not looked up: the policy refuses this path, and probing it could reveal files outside the roots' }
      : await this.lookup(request.command, where);
    const backend = this.executor.backend;
    const data = {
      command: request.command,
      backend,
      exists: lookup.status === 'unknown' ? null : lookup.status === 'found',
      path: lookup.status === 'found' ? lookup.path : null,
      existence: describeLookup(lookup, backend),
      ...verdict,
    };
    return structured(data, summary(data));
  }

  private async lookup(command: string, where: LookupContext): Promise<ProgramLookup> {
    const { executor } = this;
    if (!executor.which) return { status: 'unknown', reason: `the ${executor.backend} backend cannot look a program up without running it` };
    const which = executor.which.bind(executor);
    try {
      return await withinDeadline(this.lookupDeadlineMs, (signal) => which(command, { ...where, signal: anyOf(signal, where.signal) }));
    } catch (error) {
      if (error instanceof HealthTimeout) return { status: 'unknown', reason: `the ${executor.backend} backend did not answer within ${error.timeoutMs} ms` };
      throw toToolFailure(error, { command });
    }
  }
}

/** A refusal is an answer here, not a failure; anything but a refusal (an I/O error, a bug) still fails the call. */
async function review(check: () => Promise<CommandDecision>): Promise<Verdict> {
  try {
    const decision = await check();
    return { allowed: true, rule: decision.rule, reason: null };
  } catch (error) {
    const failure: ToolFailure = toToolFailure(error);
    if (failure.internal) throw failure;
    const rule = failure.envelope.context?.['rule'];
    return { allowed: false, rule: typeof rule === 'string' ? rule : failure.envelope.error, reason: failure.envelope.reason };
  }
}

function anyOf(first: AbortSignal, second: AbortSignal | undefined): AbortSignal {
  return second ? AbortSignal.any([first, second]) : first;
}

function describeLookup(lookup: ProgramLookup, backend: string): string {
  switch (lookup.status) {
    case 'found':
      return `found on the ${backend} backend at ${lookup.path}`;
    case 'missing':
      return `no program by that name on the ${backend} backend's PATH for commands`;
    case 'not_executable':
      return `a file by that name exists on the ${backend} backend, but the server user may not execute it`;
    case 'unknown':
      return `unknown: ${lookup.reason}`;
  }
}

function summary(data: { command: string; existence: string; allowed: boolean; rule: string; reason: string | null }): string {
  const policy = data.allowed ? `the policy allows it (rule ${data.rule})` : `the policy denies it (rule ${data.rule}): ${data.reason ?? ''}`;
  return `"${data.command}": ${data.existence}; ${policy}.`;
}

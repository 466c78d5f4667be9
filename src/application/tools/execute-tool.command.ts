import { eventActorOf, type Principal } from '../../domain/auth/principal.js';
import type { EventMetaSource } from '../../domain/shared/event-meta-source.js';
import type { SessionRepository } from '../../domain/session/session.repository.js';
import { ToolExecution, type ExecutionOrigin } from '../../domain/tool/tool-execution.js';
import type { ToolExecutionRepository } from '../../domain/tool/tool-execution.repository.js';
import { ApplicationError, type ToolErrorEnvelope, type ToolFailure } from '../application.errors.js';
import type { Authorization } from '../auth/authorization.js';
import { Command, type CommandHandler } from '../bus/message-bus.js';
import { ClientAnswerPending, ClientInterrupt } from '../ports/client-requests.js';
import type { Clock, IdGenerator } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { NO_METRICS, type Metrics, type ToolOutcome } from '../ports/metrics.js';
import type { Tracer } from '../ports/tracer.js';
import { callerOf, logFieldsOf, type Origin, type RequestOrigin } from '../origin.js';
import type { TaskService } from '../tasks/task-service.js';
import type { TaskView } from '../tasks/task-view.js';
import type { JsonObject } from '../../domain/task/task.js';
import { taskToolContext } from './task-tool-context.js';
import { TaskWorkFailed } from '../tasks/task-work.js';
import type { ServerSettings } from '../server-settings.js';
import { isCancelled, type ContentBlock, type ToolContext, type ToolOutput } from './tool-definition.js';
import type { ToolResultCache } from './tool-result-cache.js';
import { isRefused, type ToolAdmission, type ToolLimits } from './tool-limits.js';
import { ToolRun } from './tool-run.js';
import { toToolFailure } from './tool-failures.js';
import type { RegisteredTool, ToolRegistry } from './tool-registry.js';

export interface ToolCallResult {
  content: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** The call became a task (2026-07-28 tasks extension): the client polls it with tasks/get. */
export interface ToolCallTask {
  readonly task: TaskView;
}

export type ToolCallOutcome = ToolCallResult | ToolCallTask;

export function isToolCallTask(outcome: ToolCallOutcome): outcome is ToolCallTask {
  return 'task' in outcome;
}

/**
 * Whether the caller could hold a task handle: absent where the revision has no tasks (2025
 * sessions, stdio), `declared: false` for a 2026-07-28 request without the tasks extension.
 */
export interface TaskHandles {
  readonly declared: boolean;
}

export class ExecuteToolCommand extends Command<ToolCallOutcome> {
  constructor(
    readonly origin: Origin,
    readonly tool: string,
    readonly args: Record<string, unknown> | undefined,
    readonly context: ToolContext,
    readonly tasks?: TaskHandles,
    /**
     * The call runs inside another call of the same caller (the conversation loop's tool calls):
     * it is authorized and rate limited as any call, but holds no concurrency slot of its own.
     */
    readonly nested = false,
  ) {
    super();
  }
}

/** What ExecuteToolHandler is built from; the composition root supplies it. */
export interface ExecuteToolDependencies {
  readonly sessions: SessionRepository;
  readonly registry: ToolRegistry;
  readonly executions: ToolExecutionRepository;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly meta: EventMetaSource;
  readonly settings: ServerSettings;
  readonly logger: Logger;
  readonly authorization: Authorization;
  readonly results?: ToolResultCache;
  /** Tasks (2026-07-28 extension); absent = every call inline. */
  readonly tasks?: TaskService;
  /** Tool-level rate limits and the concurrency cap (rate_limits); absent = none. */
  readonly limits?: ToolLimits;
  /** Tool runs, cache lookups and tool-level refusals (telemetry.metrics); absent = none. */
  readonly metrics?: Metrics;
  /** Each tool run as a span (telemetry.otlp); absent: none. */
  readonly tracer?: Tracer;
  /** The executor backend a tool's commands run on, for its metrics label; absent or unknown: `none`. */
  readonly backendOf?: (tool: string) => string;
}

/**
 * Runs one tool call as one ToolExecution, as its caller: a tool outside the caller's grants is
 * refused before anything is looked up (the same envelope whether it exists or not), and with
 * rate_limits the caller's slot and buckets are taken before it runs. Failures the model can act
 * on come back as isError results carrying the envelope; anything unexpected is logged with its
 * cause and reaches the client only as a generic envelope.
 */
export class ExecuteToolHandler implements CommandHandler<ExecuteToolCommand> {
  readonly handles = ExecuteToolCommand;

  private readonly metrics: Metrics;

  constructor(private readonly d: ExecuteToolDependencies) {
    this.metrics = d.metrics ?? NO_METRICS;
  }

  async execute(command: ExecuteToolCommand): Promise<ToolCallOutcome> {
    const { origin, tool } = command;
    const caller = await callerOf(this.d.sessions, origin, 'tools/call');
    if (!caller.grants.allowsTool(tool)) return errorResult(await this.d.authorization.deniedTool(caller, origin, tool));
    const registered = this.d.registry.find(tool);
    if (!registered) throw new ApplicationError('tool.not_found', `Tool not found: ${tool.slice(0, 128)}`);
    const support = this.d.tasks && command.tasks ? registered.definition.taskSupport : undefined;
    if (support === 'required' && !command.tasks?.declared) {
      throw new ApplicationError('task.required', `Tool ${tool.slice(0, 128)} runs only as a task: declare the tasks extension in this request's client capabilities`);
    }
    const admission = this.d.limits === undefined ? undefined : await this.d.limits.admit(caller, tool, command.nested);
    if (admission !== undefined && isRefused(admission)) {
      this.metrics.rateLimited(admission.kind);
      return errorResult(admission.refused);
    }
    // The slot, if any, is given back when this call ends, or by the task's work once it ends (asTask).
    let held = admission;
    try {
      const execution = ToolExecution.start(this.d.ids.next(), executionOrigin(origin, caller), tool, this.d.clock.now(), this.d.meta, eventActorOf(caller));
      const parsed = registered.definition.input.safeParse(command.args ?? {});
      if (!parsed.success) return await this.failed(execution, 'error', invalidArguments(parsed.error.issues));
      if (isCancelled(command.context)) return await this.failed(execution, 'cancelled', CANCELLED);
      if (support !== undefined && command.tasks?.declared && typeof origin !== 'string') {
        held = undefined;
        return await this.asTask(command, origin, caller, registered, parsed.data, execution, support, admission);
      }

      const cacheable = this.d.results?.cacheable(registered.tool) === true;
      if (cacheable) {
        const hit = await this.d.results!.get(registered.tool, parsed.data);
        this.metrics.cacheLookup(hit !== undefined);
        if (hit) {
          execution.succeed();
          await this.d.executions.save(execution);
          return hit as ToolCallResult;
        }
      }
      const result = await this.perform(registered, parsed.data, command.context, execution, 'envelope', origin, caller);
      if (result.isError) return result;
      if (cacheable) await this.d.results!.put(registered.tool, parsed.data, result);
      else if (this.d.results?.invalidates(registered.tool)) await this.d.results.invalidate();
      return result;
    } finally {
      held?.release();
    }
  }

  /**
   * The call under the TaskService: answered inline when it is quick (and the tool allows), else a
   * task whose result is the same ToolCallResult (a tool error is a completed task with isError).
   * An unforeseen failure fails the task (`failed`, a generic -32603 error; the log has the cause).
   */
  private async asTask(
    command: ExecuteToolCommand,
    origin: RequestOrigin,
    caller: Principal,
    registered: RegisteredTool,
    input: unknown,
    execution: ToolExecution,
    support: 'optional' | 'required',
    /** Given back when the work ends (or at once, if it never starts). */
    admission: ToolAdmission | undefined,
  ): Promise<ToolCallOutcome> {
    const actor = eventActorOf(caller);
    const taskOrigin = {
      principal: origin.principal,
      method: 'tools/call',
      name: command.tool,
      ...(origin.trace ? { trace: origin.trace } : {}),
      ...(actor ? { actor } : {}),
    };
    let outcome;
    let started = false;
    try {
      outcome = await this.d.tasks!.run(
        taskOrigin,
        async (control) => {
          started = true;
          const context = taskToolContext(command.context, control, support === 'required');
          try {
            return (await this.perform(registered, input, context, execution, 'rethrow', origin, caller)) as unknown as JsonObject;
          } finally {
            admission?.release();
          }
        },
        { taskRequired: support === 'required' },
      );
    } catch (error) {
      // Refused before the work started (the principal's task cap): the slot was never used.
      if (!started) admission?.release();
      // Unforeseen and still inline: the same isError envelope as any inline call (already logged and recorded).
      if (error instanceof UnforeseenToolFailure) return errorResult(error.envelope);
      throw error;
    }
    if (outcome.kind === 'task') return { task: outcome.task };
    const result = outcome.result as unknown as ToolCallResult;
    if (!result.isError && this.d.results?.invalidates(registered.tool)) await this.d.results.invalidate();
    return result;
  }

  /**
   * Runs the tool once under its time limit and records the execution. Foreseen failures become
   * isError results; an unforeseen one too (`envelope`), or is logged and rethrown (`rethrow`).
   * A ClientInterrupt always leaves as it is: not the tool's failure, the request ends here.
   */
  private async perform(
    registered: RegisteredTool,
    input: unknown,
    context: ToolContext,
    execution: ToolExecution,
    unforeseen: 'envelope' | 'rethrow',
    origin: Origin,
    caller: Principal,
  ): Promise<ToolCallResult> {
    const tool = registered.tool.name;
    const run = new ToolRun(context, this.d.settings.toolTimeoutMs, origin, caller);
    const started = this.metrics.toolCallStarted();
    let outcome: ToolOutcome = 'error';
    let output: ToolOutput;
    try {
      const tracer = this.d.tracer;
      output = await run.race(tracer === undefined ? registered.definition.run(input, run.context) : tracer.toolRun(tool, () => registered.definition.run(input, run.context)));
      outcome = 'ok';
    } catch (error) {
      if (run.timedOut) outcome = 'timeout';
      else if (error instanceof ClientInterrupt || isCancelled(context)) outcome = 'cancelled';
      if (error instanceof ClientInterrupt) {
        execution.fail('cancelled', error instanceof ClientAnswerPending ? 'waiting for client input' : error.message, true);
        await this.d.executions.save(execution);
        throw error;
      }
      if (run.timedOut) return this.failed(execution, 'error', timedOut(this.d.settings.toolTimeoutMs));
      if (isCancelled(context)) return this.failed(execution, 'cancelled', CANCELLED);
      const failure = this.failureOf(error, tool, execution.id, origin);
      if (unforeseen === 'rethrow' && failure.internal) {
        execution.fail('error', failure.envelope.error, failure.envelope.retryable);
        await this.d.executions.save(execution);
        throw new UnforeseenToolFailure(failure.envelope, error);
      }
      return this.failed(execution, 'error', failure.envelope);
    } finally {
      run.dispose();
      this.metrics.toolCallEnded(started, tool, this.d.backendOf?.(tool) ?? 'none', outcome);
    }
    execution.succeed();
    await this.d.executions.save(execution);
    return output.structuredContent !== undefined ? { content: output.content, structuredContent: output.structuredContent } : { content: output.content };
  }

  private async failed(execution: ToolExecution, outcome: 'error' | 'cancelled', envelope: ToolErrorEnvelope): Promise<ToolCallResult> {
    execution.fail(outcome, envelope.error, envelope.retryable);
    await this.d.executions.save(execution);
    return errorResult(envelope);
  }

  /**
   * What the model sees, through the same mapping the families use (a raw DomainError or errno a
   * tool let through gets the envelope a family would have given). Every internal failure is
   * logged here, once, with its cause.
   */
  private failureOf(error: unknown, tool: string, executionId: string, origin: Origin): ToolFailure {
    const failure = toToolFailure(error);
    if (failure.internal) {
      const cause = failure.cause ?? error;
      this.d.logger.error('tool failed unexpectedly', { tool, executionId, ...logFieldsOf(origin), error: cause instanceof Error ? cause.stack : String(cause) });
    }
    return failure;
  }
}


/** The isError result the model sees for a failed call. */
function errorResult(envelope: ToolErrorEnvelope): ToolCallResult {
  const hints = envelope.suggested_actions.length > 0 ? ` Try: ${envelope.suggested_actions.join('; ')}.` : '';
  return {
    content: [{ type: 'text', text: `Error: ${envelope.error}. ${envelope.reason}.${hints}` }],
    structuredContent: { ...envelope },
    isError: true,
  };
}

/**
 * A tool run under the TaskService broke unexpectedly (logged and recorded already): a task fails
 * with a generic internal error; a call still inline answers the envelope, as any inline call does.
 */
class UnforeseenToolFailure extends TaskWorkFailed {
  constructor(
    readonly envelope: ToolErrorEnvelope,
    cause: unknown,
  ) {
    super({ code: INTERNAL_ERROR, message: 'Internal error: the tool failed unexpectedly; details are in the server log' }, { cause });
  }
}

const INTERNAL_ERROR = -32603;

/**
 * Where an execution came from, for its audit row and events: the session (and who opened it,
 * unless that is the anonymous caller), or the stateless request's principal and trace.
 */
function executionOrigin(origin: Origin, caller: Principal): string | ExecutionOrigin {
  if (typeof origin === 'string') return caller.kind === 'anonymous' ? origin : { sessionId: origin, principal: caller.id };
  return origin.trace ? { principal: origin.principal, trace: origin.trace } : { principal: origin.principal };
}

const CANCELLED: ToolErrorEnvelope = {
  error: 'cancelled',
  reason: 'the client cancelled the request',
  suggested_actions: [],
  retryable: true,
};

function timedOut(limitMs: number): ToolErrorEnvelope {
  return {
    error: 'timed out',
    reason: `the tool did not finish within ${limitMs} ms (mcp.timeouts.tool_ms)`,
    suggested_actions: ['narrow the request', 'ask the operator to raise mcp.timeouts.tool_ms'],
    retryable: true,
  };
}

function invalidArguments(issues: readonly { path: readonly PropertyKey[]; message: string }[]): ToolErrorEnvelope {
  const problems = issues.slice(0, 10).map((i) => `${i.path.map(String).join('.') || '(arguments)'}: ${i.message}`);
  return {
    error: 'invalid arguments',
    reason: problems.join('; '),
    suggested_actions: ['fix the arguments to match the tool inputSchema (see tools/list) and call again'],
    retryable: true,
    context: { issues: problems },
  };
}

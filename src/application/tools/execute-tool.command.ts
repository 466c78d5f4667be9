import type { EventMetaSource } from '../../domain/shared/event-meta-source.js';
import type { SessionRepository } from '../../domain/session/session.repository.js';
import { ToolExecution, type ExecutionOrigin } from '../../domain/tool/tool-execution.js';
import type { ToolExecutionRepository } from '../../domain/tool/tool-execution.repository.js';
import { ApplicationError, type ToolErrorEnvelope, type ToolFailure } from '../application.errors.js';
import { Command, type CommandHandler } from '../bus/message-bus.js';
import { ClientAnswerPending, ClientInterrupt } from '../ports/client-requests.js';
import type { Clock, IdGenerator } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { assertOperational, logFieldsOf, sessionIdOf, type Origin, type RequestOrigin } from '../origin.js';
import type { TaskService } from '../tasks/task-service.js';
import type { TaskView } from '../tasks/task-view.js';
import type { JsonObject } from '../../domain/task/task.js';
import { taskToolContext } from './task-tool-context.js';
import { TaskWorkFailed } from '../tasks/task-work.js';
import type { ServerSettings } from '../server-settings.js';
import { isCancelled, type ContentBlock, type ToolContext, type ToolOutput } from './tool-definition.js';
import type { ToolResultCache } from './tool-result-cache.js';
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
  ) {
    super();
  }
}

/**
 * Runs one tool call as one ToolExecution. Failures the model can act on come back as isError
 * results carrying the envelope; anything unexpected is logged with its cause and reaches the
 * client only as a generic envelope.
 */
export class ExecuteToolHandler implements CommandHandler<ExecuteToolCommand> {
  readonly handles = ExecuteToolCommand;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly registry: ToolRegistry,
    private readonly executions: ToolExecutionRepository,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly meta: EventMetaSource,
    private readonly settings: ServerSettings,
    private readonly logger: Logger,
    private readonly results?: ToolResultCache,
    /** Tasks (2026-07-28 extension); absent = every call inline. */
    private readonly tasks?: TaskService,
  ) {}

  async execute(command: ExecuteToolCommand): Promise<ToolCallOutcome> {
    await assertOperational(this.sessions, command.origin, 'tools/call');
    const registered = this.registry.find(command.tool);
    if (!registered) throw new ApplicationError('tool.not_found', `Tool not found: ${command.tool.slice(0, 128)}`);
    const support = this.tasks && command.tasks ? registered.definition.taskSupport : undefined;
    if (support === 'required' && !command.tasks?.declared) {
      throw new ApplicationError('task.required', `Tool ${command.tool.slice(0, 128)} runs only as a task: declare the tasks extension in this request's client capabilities`);
    }
    const execution = ToolExecution.start(this.ids.next(), executionOrigin(command.origin), command.tool, this.clock.now(), this.meta);

    const parsed = registered.definition.input.safeParse(command.args ?? {});
    if (!parsed.success) return this.failed(execution, 'error', invalidArguments(parsed.error.issues));
    if (isCancelled(command.context)) return this.failed(execution, 'cancelled', CANCELLED);
    if (support !== undefined && command.tasks?.declared && typeof command.origin !== 'string') {
      return this.asTask(command, command.origin, registered, parsed.data, execution, support);
    }

    const cacheable = this.results?.cacheable(registered.tool) === true;
    if (cacheable) {
      const hit = await this.results!.get(registered.tool, parsed.data);
      if (hit) {
        execution.succeed();
        await this.executions.save(execution);
        return hit as ToolCallResult;
      }
    }
    const result = await this.perform(registered, parsed.data, command.context, execution, 'envelope', command.origin);
    if (result.isError) return result;
    if (cacheable) await this.results!.put(registered.tool, parsed.data, result);
    else if (this.results?.invalidates(registered.tool)) await this.results.invalidate();
    return result;
  }

  /**
   * The call under the TaskService: answered inline when it is quick (and the tool allows), else a
   * task whose result is the same ToolCallResult (a tool error is a completed task with isError).
   * An unforeseen failure fails the task (`failed`, a generic -32603 error; the log has the cause).
   */
  private async asTask(
    command: ExecuteToolCommand,
    origin: RequestOrigin,
    registered: RegisteredTool,
    input: unknown,
    execution: ToolExecution,
    support: 'optional' | 'required',
  ): Promise<ToolCallOutcome> {
    const taskOrigin = { principal: origin.principal, method: 'tools/call', name: command.tool, ...(origin.trace ? { trace: origin.trace } : {}) };
    let outcome;
    try {
      outcome = await this.tasks!.run(
        taskOrigin,
        async (control) => {
          const context = taskToolContext(command.context, control, support === 'required');
          return (await this.perform(registered, input, context, execution, 'rethrow', origin)) as unknown as JsonObject;
        },
        { taskRequired: support === 'required' },
      );
    } catch (error) {
      // Unforeseen and still inline: the same isError envelope as any inline call (already logged and recorded).
      if (error instanceof UnforeseenToolFailure) return errorResult(error.envelope);
      throw error;
    }
    if (outcome.kind === 'task') return { task: outcome.task };
    const result = outcome.result as unknown as ToolCallResult;
    if (!result.isError && this.results?.invalidates(registered.tool)) await this.results.invalidate();
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
  ): Promise<ToolCallResult> {
    const tool = registered.tool.name;
    const run = new ToolRun(context, this.settings.toolTimeoutMs);
    let output: ToolOutput;
    try {
      output = await run.race(registered.definition.run(input, run.context));
    } catch (error) {
      if (error instanceof ClientInterrupt) {
        execution.fail('cancelled', error instanceof ClientAnswerPending ? 'waiting for client input' : error.message, true);
        await this.executions.save(execution);
        throw error;
      }
      if (run.timedOut) return this.failed(execution, 'error', timedOut(this.settings.toolTimeoutMs));
      if (isCancelled(context)) return this.failed(execution, 'cancelled', CANCELLED);
      const failure = this.failureOf(error, tool, execution.id, origin);
      if (unforeseen === 'rethrow' && failure.internal) {
        execution.fail('error', failure.envelope.error, failure.envelope.retryable);
        await this.executions.save(execution);
        throw new UnforeseenToolFailure(failure.envelope, error);
      }
      return this.failed(execution, 'error', failure.envelope);
    } finally {
      run.dispose();
    }
    execution.succeed();
    await this.executions.save(execution);
    return output.structuredContent !== undefined ? { content: output.content, structuredContent: output.structuredContent } : { content: output.content };
  }

  private async failed(execution: ToolExecution, outcome: 'error' | 'cancelled', envelope: ToolErrorEnvelope): Promise<ToolCallResult> {
    execution.fail(outcome, envelope.error, envelope.retryable);
    await this.executions.save(execution);
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
      this.logger.error('tool failed unexpectedly', { tool, executionId, ...logFieldsOf(origin), error: cause instanceof Error ? cause.stack : String(cause) });
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

/** Where an execution came from, for its audit row and events. */
function executionOrigin(origin: Origin): ExecutionOrigin {
  const sessionId = sessionIdOf(origin);
  if (sessionId !== undefined) return { sessionId };
  const request = origin as Exclude<Origin, string>;
  return request.trace ? { principal: request.principal, trace: request.trace } : { principal: request.principal };
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

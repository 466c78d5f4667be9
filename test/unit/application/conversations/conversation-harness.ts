import { RegisterToolCommand } from '../../../../src/application/tools/register-tool.command.js';
import { ConversationOwners } from '../../../../src/application/conversations/conversation-owner.js';
import type { ConversationSettings } from '../../../../src/application/conversations/conversation-settings.js';
import { LlmBackends } from '../../../../src/application/conversations/llm-backends.js';
import { SendMessageCommand, type SendMessageOptions } from '../../../../src/application/conversations/send-message.command.js';
import type { ClientRequests } from '../../../../src/application/ports/client-requests.js';
import type { RateLimiter } from '../../../../src/application/ports/rate-limiter.js';
import { LlmError, type LlmClient, type LlmRequest, type LlmResponse, type LlmStopReason, type LlmUsage } from '../../../../src/application/ports/llm-client.js';
import { PromptCatalog } from '../../../../src/application/prompts/prompt-catalog.js';
import { CODE_PROMPTS } from '../../../../src/application/prompts/code.prompts.js';
import { ResourceCatalog } from '../../../../src/application/resources/resource-catalog.js';
import { ConversationResources } from '../../../../src/application/resources/conversation.resources.js';
import type { ToolContext, ToolDefinition } from '../../../../src/application/tools/tool-definition.js';
import { ToolRegistry } from '../../../../src/application/tools/tool-registry.js';
import { createBuses, type UseCaseDependencies } from '../../../../src/composition/buses.js';
import type { MessageContent } from '../../../../src/domain/conversation/message.js';
import type { DomainEvent } from '../../../../src/domain/shared/domain-event.js';
import { EmbeddedHealthCheck } from '../../../../src/infrastructure/health/embedded-health-checks.js';
import { InMemoryConversationRepository } from '../../../../src/infrastructure/persistence/memory/in-memory-conversation-repository.js';
import { InMemoryOutbox } from '../../../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemorySessionRepository } from '../../../../src/infrastructure/persistence/memory/in-memory-session-repository.js';
import { InMemoryToolExecutionRepository } from '../../../../src/infrastructure/persistence/memory/in-memory-tool-execution-repository.js';
import { OpenSessionCommand } from '../../../../src/application/session/open-session.command.js';
import { InitializeSessionCommand } from '../../../../src/application/session/initialize-session.command.js';
import { MarkSessionReadyCommand } from '../../../../src/application/session/mark-session-ready.command.js';
import type { TransportKind } from '../../../../src/domain/session/session-state.js';
import { ANONYMOUS, localPrincipal, type Principal } from '../../../../src/domain/auth/principal.js';
import { RecordingLogger, serverSettings } from '../../../support/builders.js';
import { eventMetaFrom, FixedClock, SequentialIds } from '../../../support/fixed-clock.js';

/** The local user a stdio (or in-process) session of the harness belongs to. */
export const LOCAL = localPrincipal('tester');

export const USAGE: LlmUsage = { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 2, cacheCreationInputTokens: 1 };

/** One scripted model answer: a response, an error, or a function of the request. */
export type Step = LlmResponse | LlmError | ((request: LlmRequest) => Promise<LlmResponse>);

export function answer(text: string, stopReason: LlmStopReason = 'end_turn', usage: LlmUsage = USAGE): LlmResponse {
  return { content: [{ type: 'text', text }], stopReason, usage, model: 'claude-test-1' };
}

export function toolCall(name: string, input: unknown, id = `toolu_${name}`, text?: string): LlmResponse {
  const content: MessageContent[] = [...(text ? [{ type: 'text' as const, text }] : []), { type: 'tool_use', id, name, input }];
  return { content, stopReason: 'tool_use', usage: USAGE, model: 'claude-test-1' };
}

/** Streams `parts`, then waits for the request's signal and rejects as an adapter does on cancel. */
export function hangAfter(...parts: string[]): Step {
  return (request) =>
    new Promise<LlmResponse>((_resolve, reject) => {
      for (const part of parts) request.onText?.(part);
      const cancelled = () => reject(new LlmError('llm.cancelled', 'the request was cancelled', true));
      if (request.signal?.aborted) cancelled();
      request.signal?.addEventListener('abort', cancelled, { once: true });
    });
}

/**
 * The LlmClient port, scripted in the test: each call takes the next step and records the
 * request as the model would have received it (copies, since the loop reuses nothing).
 */
export class ScriptedLlm implements LlmClient {
  readonly backend = 'scripted';
  readonly requests: LlmRequest[] = [];

  constructor(private readonly steps: Step[]) {}

  async complete(request: LlmRequest): Promise<LlmResponse> {
    this.requests.push({ ...request, messages: request.messages.map((m) => ({ role: m.role, content: [...m.content] })) });
    const step = this.steps.shift();
    if (step === undefined) throw new Error('the script has no more steps');
    if (step instanceof LlmError) throw step;
    if (typeof step === 'function') return step(request);
    step.content.forEach((c) => c.type === 'text' && request.onText?.(c.text));
    return step;
  }

  /** The last message of the i-th request (what the model saw last). */
  lastMessage(i: number): { role: string; content: readonly MessageContent[] } {
    const messages = this.requests[i].messages;
    return messages[messages.length - 1];
  }
}

export const SETTINGS: ConversationSettings = {
  model: 'claude-default',
  maxTokens: 1024,
  maxIterations: 5,
  allowedTools: ['probe', 'broken', 'slow'],
  backend: 'api',
  contextBudgetTokens: 100_000,
};

export interface HarnessOptions {
  readonly llm?: LlmClient;
  readonly settings?: Partial<ConversationSettings>;
  readonly tools?: readonly ToolDefinition<unknown>[];
  /** Tool-level rate limits, as rate_limits gives them to ExecuteTool. */
  readonly rateLimiter?: RateLimiter;
}

/**
 * The conversation use cases wired by createBuses, as the composition root does, over in-memory
 * adapters, a fixed clock and sequential ids, with the test's tools registered.
 */
export async function conversationHarness(options: HarnessOptions = {}) {
  const clock = new FixedClock();
  const ids = new SequentialIds('id');
  const meta = eventMetaFrom(clock, ids);
  const logger = new RecordingLogger();
  const settings = { ...SETTINGS, ...options.settings };
  const outbox = new InMemoryOutbox(10_000, logger);
  const sessions = new InMemorySessionRepository(outbox, 100);
  const conversations = new InMemoryConversationRepository(outbox, meta);
  const registry = new ToolRegistry();
  const owners = new ConversationOwners(sessions);
  const llm = options.llm ?? new ScriptedLlm([]);
  const deps: UseCaseDependencies = {
    sessions,
    executions: new InMemoryToolExecutionRepository(outbox),
    outbox,
    registry,
    prompts: new PromptCatalog(CODE_PROMPTS),
    healthChecks: [new EmbeddedHealthCheck('persistence', 'memory')],
    clock,
    ids,
    meta,
    settings: serverSettings(),
    logger,
    conversations: { repository: conversations, backends: new LlmBackends(settings.backend, llm), settings },
    ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
  };
  const resources = new ResourceCatalog([new ConversationResources(conversations, owners)]);
  const { commands, queries } = createBuses(deps, resources);
  for (const tool of options.tools ?? []) await commands.execute(new RegisterToolCommand(tool));
  await outbox.claim(1_000_000).then((entries) => outbox.markPublished(entries.map((e) => e.event.id)));

  return {
    clock,
    logger,
    settings,
    outbox,
    conversations,
    registry,
    owners,
    resources,
    commands,
    queries,
    /** A ready session of `principal`: by default the local user on stdio and in-process, the anonymous caller on HTTP. */
    async readySession(transport: TransportKind = 'stdio', principal: Principal = transport === 'http' || transport === 'sse' ? ANONYMOUS : LOCAL): Promise<string> {
      const { sessionId } = await commands.execute(new OpenSessionCommand(transport, undefined, principal));
      await commands.execute(new InitializeSessionCommand(sessionId, '2025-06-18', { name: 'test-client', version: '1.0.0' }, {}));
      await commands.execute(new MarkSessionReadyCommand(sessionId));
      return sessionId;
    },
    /** One turn as the claude_conversation tool sends it, from a ready stdio session unless given, as the session's principal unless `caller` says otherwise. */
    async send(text: string, opts: SendMessageOptions & { sessionId?: string; context?: Partial<ToolContext>; caller?: Principal } = {}) {
      const sessionId = opts.sessionId ?? (await this.readySession());
      const caller = opts.caller ?? (await sessions.get(sessionId)).principal;
      const context: ToolContext = { sessionId, signal: new AbortController().signal, progress: () => {}, log: () => {}, ...opts.context };
      return commands.execute(new SendMessageCommand(sessionId, caller, text, context, opts));
    },
    async takeEvents(): Promise<DomainEvent[]> {
      const entries = await outbox.claim(1_000_000);
      await outbox.markPublished(entries.map((entry) => entry.event.id));
      return entries.map((entry) => entry.event);
    },
  };
}

export type ConversationHarness = Awaited<ReturnType<typeof conversationHarness>>;

/** A client that declares sampling and answers createMessage with `reply` (recording the params). */
export function samplingClient(reply: (params: Readonly<Record<string, unknown>>) => Promise<Record<string, unknown>>): ClientRequests & { asked: Readonly<Record<string, unknown>>[] } {
  const asked: Readonly<Record<string, unknown>>[] = [];
  return {
    asked,
    supports: { sampling: true, elicitation: false, roots: false },
    createMessage: (params) => {
      asked.push(params);
      return reply(params);
    },
    elicit: async () => ({ action: 'decline' }),
    listRoots: async () => [],
  };
}

import { eventActorOf, type Principal } from '../../domain/auth/principal.js';
import { Conversation, type ConversationStopReason, type TokenUsage } from '../../domain/conversation/conversation.js';
import { ConversationVersionConflict, type ConversationRepository } from '../../domain/conversation/conversation.repository.js';
import type { EventMetaSource } from '../../domain/shared/event-meta-source.js';
import { ToolFailure } from '../application.errors.js';
import type { Authorization } from '../auth/authorization.js';
import { Command, type CommandBus, type CommandHandler } from '../bus/message-bus.js';
import { sessionIdOf, type Origin } from '../origin.js';
import { ClientInterrupt } from '../ports/client-requests.js';
import { LlmError } from '../ports/llm-client.js';
import type { IdGenerator } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { isCancelled, type ToolContext } from '../tools/tool-definition.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import { runTurn } from './agentic-loop.js';
import type { ConversationSettings } from './conversation-settings.js';
import { conversationBusy, conversationClosed, conversationNotFound } from './conversation-failures.js';
import { ownerOf } from './conversation-owner.js';
import type { LlmBackends } from './llm-backends.js';
import { llmFailure } from './llm-failures.js';
import { offeredTools, ToolDispatcher } from './loop-tools.js';
import { systemPromptFor } from './system-prompt.js';
import { TurnProgress } from './turn-progress.js';

export interface SendMessageOptions {
  /** Continue this conversation (it must be the owner's); absent: start a new one. */
  readonly conversationId?: string;
  /** The caller's system prompt, set when the conversation starts. */
  readonly system?: string;
  readonly model?: string;
  /** At most claude.max_tokens. */
  readonly maxTokens?: number;
  /** The tools the model may call in this turn; each must be in claude.allowed_tools. */
  readonly tools?: readonly string[];
  /** At most claude.max_iterations. */
  readonly maxIterations?: number;
}

export interface SendMessageResult {
  readonly conversationId: string;
  readonly text: string;
  readonly stopReason: ConversationStopReason;
  readonly iterations: number;
  /** This turn's usage. */
  readonly usage: TokenUsage;
  readonly model: string;
  readonly unrunTools: readonly string[];
  readonly trimmedToolResults: number;
  readonly droppedMessages: number;
}

/**
 * One user message and the model's answer to it (a turn, tools included), for `caller`, who owns
 * the conversation. `context` is the calling tool's: its signal cancels the turn, its progress
 * streams the text, its client answers sampling, and the loop's tool calls run with it, under
 * `origin`: as the caller, with its grants, limits and trace.
 */
export class SendMessageCommand extends Command<SendMessageResult> {
  constructor(
    readonly origin: Origin,
    readonly caller: Principal,
    readonly text: string,
    readonly context: ToolContext,
    readonly options: SendMessageOptions = {},
  ) {
    super();
  }
}

/** Everything the handler is built from; the composition root supplies it. */
export interface SendMessageDependencies {
  readonly conversations: ConversationRepository;
  readonly registry: ToolRegistry;
  readonly commands: CommandBus;
  readonly backends: LlmBackends;
  readonly settings: ConversationSettings;
  readonly ids: IdGenerator;
  readonly meta: EventMetaSource;
  readonly logger: Logger;
  readonly authorization: Authorization;
}

/**
 * Loads the caller's conversation (or starts one), runs the turn, and saves the aggregate with its
 * events once, in one unit of work — also when the turn failed or was cancelled, so the transcript
 * and the failure are kept. Another owner's conversation is "not found", never "forbidden". A
 * model error leaves as the tool-error envelope naming the conversation, so it can be retried.
 */
export class SendMessageHandler implements CommandHandler<SendMessageCommand> {
  readonly handles = SendMessageCommand;
  /** Conversations with a turn running in this process: a second turn at once is refused early. */
  private readonly running = new Set<string>();

  constructor(private readonly d: SendMessageDependencies) {}

  async execute(command: SendMessageCommand): Promise<SendMessageResult> {
    const { settings } = this.d;
    const { options } = command;
    await this.assertGranted(command);
    const tools = offeredTools(this.d.registry, settings.allowedTools, options.tools);
    if (tools.length > 0 && this.d.backends.backend === 'sampling') throw samplingWithoutTools();
    const conversation = await this.load(command);
    if (this.running.has(conversation.id)) throw conversationBusy(conversation.id);
    this.running.add(conversation.id);
    try {
      conversation.addMessage('user', [{ type: 'text', text: command.text }]);
      const progress = new TurnProgress(command.context);
      let outcome;
      try {
        outcome = await runTurn(conversation, {
          llm: this.d.backends.for(command.context.client),
          model: options.model ?? conversation.model,
          system: systemPromptFor(settings.systemPrompt, conversation.system),
          maxTokens: Math.min(options.maxTokens ?? settings.maxTokens, settings.maxTokens),
          maxIterations: Math.min(options.maxIterations ?? settings.maxIterations, settings.maxIterations),
          tools,
          runner: new ToolDispatcher(this.d.commands, tools, command.origin, nestedContext(command.context, command), this.d.logger),
          contextBudgetTokens: settings.contextBudgetTokens,
          signal: command.context.signal,
          progress,
        });
      } catch (error) {
        // A waiting client means this request runs again: nothing of this run is kept.
        if (error instanceof ClientInterrupt) throw error;
        await this.save(conversation);
        throw error instanceof LlmError ? llmFailure(error, conversation.id) : error;
      }
      await this.save(conversation);
      return { conversationId: conversation.id, ...outcome };
    } finally {
      this.running.delete(conversation.id);
    }
  }

  /**
   * Every tool the caller asks Claude to use must be one the caller may call itself: refused up
   * front (each recorded as authorization.denied), rather than offered and then refused call by call.
   */
  private async assertGranted(command: SendMessageCommand): Promise<void> {
    const { caller, origin } = command;
    if (caller.grants.allowsEvery('tools')) return;
    const denied = [...new Set(command.options.tools ?? [])].filter((name) => !caller.grants.allowsTool(name));
    if (denied.length === 0) return;
    const grants: string[] = [];
    for (const name of denied) grants.push(await this.d.authorization.refusedTool(caller, origin, name));
    throw new ToolFailure({
      error: 'not permitted',
      reason: `this caller lacks the grant${grants.length === 1 ? '' : 's'} ${grants.join(', ')}, so Claude cannot call ${denied.length === 1 ? 'that tool' : 'those tools'} for it`,
      suggested_actions: ['call again without those tools', 'ask the server operator for the grants'],
      retryable: false,
      context: { missing_grants: grants },
    });
  }

  private async load(command: SendMessageCommand): Promise<Conversation> {
    const { options } = command;
    const ownerId = ownerOf(command.caller);
    const actor = eventActorOf(command.caller);
    const sessionId = sessionIdOf(command.origin);
    if (options.conversationId === undefined) {
      return Conversation.start(
        {
          id: this.d.ids.next(),
          ownerId,
          model: options.model ?? this.d.settings.model,
          ...(options.system !== undefined ? { system: options.system } : {}),
          ...(sessionId !== undefined ? { sessionId } : {}),
          ...(actor !== undefined ? { actor } : {}),
        },
        this.d.meta,
      );
    }
    const conversation = await this.d.conversations.find(options.conversationId);
    if (!conversation || conversation.ownerId !== ownerId) throw conversationNotFound(options.conversationId);
    if (conversation.status === 'closed') throw conversationClosed(conversation.id);
    if (options.system !== undefined && options.system !== (conversation.system ?? '')) throw systemFixed(conversation.id);
    conversation.setEventOrigin(sessionId, actor);
    return conversation;
  }

  private async save(conversation: Conversation): Promise<void> {
    try {
      await this.d.conversations.save(conversation);
    } catch (error) {
      if (error instanceof ConversationVersionConflict) throw conversationBusy(conversation.id, error);
      throw error;
    }
  }
}

/**
 * The context the loop's tool calls run with: the caller's cancellation and client, but not its
 * progress (the turn reports progress itself, and a tool's own counter would make it go backwards).
 */
function nestedContext(outer: ToolContext, command: SendMessageCommand): ToolContext {
  return {
    sessionId: outer.sessionId,
    origin: command.origin,
    caller: command.caller,
    get signal() {
      return outer.signal;
    },
    get cancelled() {
      return isCancelled(outer);
    },
    progress: () => {},
    log: outer.log,
    get client() {
      return outer.client;
    },
  };
}

function samplingWithoutTools(): ToolFailure {
  return new ToolFailure({
    error: 'tools unavailable with sampling',
    reason: 'claude.backend is sampling: the client\'s own model answers, and MCP sampling with tools is deprecated (2026-07-28), so the model cannot call tfo-mcp tools',
    suggested_actions: ['call again without tools', 'ask the server operator to set claude.backend to api with a key'],
    retryable: false,
  });
}

function systemFixed(id: string): ToolFailure {
  return new ToolFailure({
    error: 'system prompt is fixed',
    reason: 'a conversation keeps the system prompt it started with; this call gives another one',
    suggested_actions: ['call again without system to continue the conversation', 'start a new conversation (omit conversation_id) with the new system prompt'],
    retryable: false,
    context: { conversation_id: id },
  });
}

import { z } from 'zod';
import { ApplicationError, ToolFailure } from '../application.errors.js';
import type { CommandBus, QueryBus } from '../bus/message-bus.js';
import { ownerOf, type ConversationOwners } from '../conversations/conversation-owner.js';
import type { ConversationSettings } from '../conversations/conversation-settings.js';
import { usageView } from '../conversations/conversation-view.js';
import { ListConversationsQuery } from '../conversations/list-conversations.query.js';
import { SendMessageCommand, type SendMessageResult } from '../conversations/send-message.command.js';
import type { Origin } from '../origin.js';
import { GetPromptQuery } from '../prompts/get-prompt.query.js';
import type { PromptResult } from '../prompts/prompt-catalog.js';
import { CLAUDE_CONVERSATION_INPUT, CLAUDE_CONVERSATION_OUTPUT, LIST_CONVERSATIONS_INPUT, LIST_CONVERSATIONS_OUTPUT, STOP_REASONS } from './conversation-tool-schemas.js';
import { defineTool, structured } from './define-tool.js';
import type { ToolContext, ToolDefinition, ToolFamily, ToolOutput } from './tool-definition.js';
import { toToolFailure } from './tool-failures.js';

const MAX_MESSAGE_CHARS = 200_000;
const DEFAULT_LIST_LIMIT = 20;

/** The zod schemas behind both tools: validators built on the first call (z.lazy), and the source the written-out JSON Schemas are checked against. */
export function claudeConversationSchemas() {
  const input = z
    .object({
      message: z.string().max(MAX_MESSAGE_CHARS).describe('Your message to Claude. With `prompt`, added after the rendered prompt (may then be empty).'),
      conversation_id: z.string().min(1).max(256).optional().describe('Continue this conversation (from an earlier answer or list_conversations); omit to start a new one.'),
      system: z.string().max(MAX_MESSAGE_CHARS).optional().describe('System prompt for a new conversation (a conversation keeps the one it started with).'),
      model: z.string().min(1).max(256).optional().describe('Model id for this turn (default: the conversation\'s, or the server\'s claude.model).'),
      max_tokens: z.number().int().positive().optional().describe('Most tokens in each model answer (capped at the server\'s claude.max_tokens).'),
      tools: z.array(z.string().min(1).max(128)).max(64).optional().describe('tfo-mcp tools Claude may call in this turn; each must be allowed by the server (claude.allowed_tools). Default: none.'),
      max_iterations: z.number().int().min(1).max(100).optional().describe('Most model calls in this turn (capped at the server\'s claude.max_iterations).'),
      prompt: z.string().min(1).max(128).optional().describe('Answer one of this server\'s prompts through Claude: code_review, explain_code or debug_help.'),
      prompt_arguments: z.record(z.string().max(64), z.string().max(MAX_MESSAGE_CHARS)).optional().describe('The prompt\'s arguments (see prompts/list), e.g. {"code": "…", "language": "python"}.'),
    })
    .superRefine((value, ctx) => {
      if (value.prompt === undefined && value.message.trim().length === 0) ctx.addIssue({ code: 'custom', path: ['message'], message: 'give a message (or a prompt)' });
      if (value.prompt === undefined && value.prompt_arguments !== undefined) ctx.addIssue({ code: 'custom', path: ['prompt_arguments'], message: 'prompt_arguments needs prompt' });
    });
  const output = z.object({
    conversation_id: z.string(),
    stop_reason: z.enum(STOP_REASONS),
    iterations: z.number().int().nonnegative().describe('model calls made in this turn'),
    model: z.string(),
    usage: usageSchema().describe('tokens of this turn'),
    unrun_tools: z.array(z.string()).optional().describe('tools the model asked for that the iteration cap left unrun'),
    context_trimmed: z.object({ tool_results: z.number().int().nonnegative(), messages: z.number().int().nonnegative() }).optional()
      .describe('what was left out of the requests to fit claude.context_budget_tokens'),
  });
  return { input, output };
}

export function listConversationsSchemas() {
  const input = z.object({
    limit: z.number().int().min(1).max(100).default(DEFAULT_LIST_LIMIT).describe('Conversations per page (1-100).'),
    cursor: z.string().min(1).max(1024).optional().describe('next_cursor from the previous page.'),
  });
  const output = z.object({
    conversations: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        model: z.string(),
        status: z.string(),
        messages: z.number().int().nonnegative(),
        usage: usageSchema(),
        created_at: z.string(),
        updated_at: z.string(),
      }),
    ),
    next_cursor: z.string().optional(),
  });
  return { input, output };
}

function usageSchema() {
  return z.object({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cache_read_input_tokens: z.number().int().nonnegative(),
    cache_creation_input_tokens: z.number().int().nonnegative(),
  });
}

const conversationInput = z.lazy(() => claudeConversationSchemas().input);
type ConversationInput = z.infer<typeof conversationInput>;
const listInput = z.lazy(() => listConversationsSchemas().input);
type ListInput = z.infer<typeof listInput>;

export interface ConversationToolsDependencies {
  readonly commands: CommandBus;
  readonly queries: QueryBus;
  readonly owners: ConversationOwners;
  readonly settings: ConversationSettings;
}

/**
 * `claude_conversation` (category ai, "Chat with Claude") and `list_conversations`. Building the
 * family costs nothing measurable: its JSON Schemas are written out (conversation-tool-schemas.ts),
 * its validators are built on the first call, and nothing of the model client loads before a message.
 */
export class ConversationTools implements ToolFamily {
  private readonly definitions: readonly ToolDefinition<unknown>[];

  constructor(private readonly d: ConversationToolsDependencies) {
    this.definitions = [this.claudeConversation(), this.listConversations()];
  }

  tools(): readonly ToolDefinition<unknown>[] {
    return this.definitions;
  }

  private claudeConversation(): ToolDefinition<unknown> {
    const { allowedTools, maxIterations, backend } = this.d.settings;
    const acts = allowedTools.some((t) => t === 'execute_command' || t === 'write_file');
    return defineTool<ConversationInput>({
      // A long agentic turn outlives its request as a task where the client can hold one.
      taskSupport: 'optional',
      props: {
        name: 'claude_conversation',
        title: 'Chat with Claude',
        description:
          `Sends a message to Claude (${backend === 'sampling' ? 'your own client\'s model, through MCP sampling' : 'the Anthropic API, with this server\'s key'}) and returns the answer. ` +
          'Pass conversation_id from an earlier answer to continue that conversation; list_conversations finds old ones, and ' +
          'conversation://{id} reads a transcript. With `tools`, Claude may call these tfo-mcp tools during the turn, under ' +
          `the same policy and limits as your own calls: ${allowedTools.join(', ') || 'none (the server allows none)'}; at most ` +
          `${maxIterations} model calls per turn (stop_reason "max_iterations" says when that cap ended it). ` +
          'With `prompt` (code_review, explain_code, debug_help) and prompt_arguments, Claude answers that prompt.',
        inputSchema: CLAUDE_CONVERSATION_INPUT,
        outputSchema: CLAUDE_CONVERSATION_OUTPUT,
        annotations: { title: 'Chat with Claude', readOnlyHint: false, destructiveHint: acts, idempotentHint: false, openWorldHint: true },
      },
      input: conversationInput,
      run: (args, context) => this.send(args, context),
    });
  }

  private listConversations(): ToolDefinition<unknown> {
    return defineTool<ListInput>({
      props: {
        name: 'list_conversations',
        title: 'List Claude conversations',
        description:
          'Lists your claude_conversation conversations, the most recently active first: id, title (the first message), ' +
          'model, status, message count and token usage. Pass next_cursor back as cursor for the next page.',
        inputSchema: LIST_CONVERSATIONS_INPUT,
        outputSchema: LIST_CONVERSATIONS_OUTPUT,
        annotations: { title: 'List Claude conversations', readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      input: listInput,
      run: async (args, context): Promise<ToolOutput> => {
        try {
          const owner = ownerOf(await this.d.owners.callerOf(context));
          const page = await this.d.queries.execute(new ListConversationsQuery(owner, args.limit, args.cursor));
          return structured({ conversations: page.conversations, ...(page.nextCursor !== undefined ? { next_cursor: page.nextCursor } : {}) });
        } catch (error) {
          throw toToolFailure(error);
        }
      },
    });
  }

  private async send(args: ConversationInput, context: ToolContext): Promise<ToolOutput> {
    let result: SendMessageResult;
    try {
      const caller = await this.d.owners.callerOf(context);
      const origin = this.d.owners.originOf(context, caller);
      const text = args.prompt === undefined ? args.message : await this.rendered(origin, args.prompt, args.prompt_arguments ?? {}, args.message, context);
      result = await this.d.commands.execute(
        new SendMessageCommand(origin, caller, text, context, {
          ...(args.conversation_id !== undefined ? { conversationId: args.conversation_id } : {}),
          ...(args.system !== undefined ? { system: args.system } : {}),
          ...(args.model !== undefined ? { model: args.model } : {}),
          ...(args.max_tokens !== undefined ? { maxTokens: args.max_tokens } : {}),
          ...(args.tools !== undefined ? { tools: args.tools } : {}),
          ...(args.max_iterations !== undefined ? { maxIterations: args.max_iterations } : {}),
        }),
      );
    } catch (error) {
      throw error instanceof ApplicationError ? invalidRequest(error) : toToolFailure(error);
    }
    if (result.stopReason === 'refusal') throw refused(result);
    return structured(
      {
        conversation_id: result.conversationId,
        stop_reason: result.stopReason,
        iterations: result.iterations,
        model: result.model,
        usage: usageView(result.usage),
        ...(result.unrunTools.length > 0 ? { unrun_tools: [...result.unrunTools] } : {}),
        ...(result.trimmedToolResults + result.droppedMessages > 0 ? { context_trimmed: { tool_results: result.trimmedToolResults, messages: result.droppedMessages } } : {}),
      },
      answerText(result),
    );
  }

  /** The prompt as this server renders it for prompts/get, then the caller's own message. */
  private async rendered(origin: Origin, name: string, args: Record<string, string>, message: string, context: ToolContext): Promise<string> {
    const prompt = await this.d.queries.execute(new GetPromptQuery(origin, name, args, context.client));
    return [promptText(prompt), message].filter((part) => part.trim().length > 0).join('\n\n');
  }
}

function promptText(prompt: PromptResult): string {
  return prompt.messages
    .map(({ content }) => (content.type === 'text' ? content.text : content.type === 'resource' ? (content.resource.text ?? '') : ''))
    .filter((text) => text.length > 0)
    .join('\n\n');
}

/** The answer, and a line saying why it stopped whenever that was not the model's own end of turn. */
function answerText(result: SendMessageResult): string {
  const notes: string[] = [];
  switch (result.stopReason) {
    case 'max_iterations':
      notes.push(
        `[Stopped at the iteration cap (${result.iterations} model calls) before Claude finished` +
          (result.unrunTools.length > 0 ? `; tools asked for but not run: ${result.unrunTools.join(', ')}` : '') +
          '. Send another message with this conversation_id to let it go on.]',
      );
      break;
    case 'budget':
      notes.push('[Stopped: the conversation no longer fits the context budget (claude.context_budget_tokens), even with old tool results trimmed. Start a new conversation.]');
      break;
    case 'max_tokens':
      notes.push('[The answer was cut at max_tokens.]');
      break;
    case 'cancelled':
      notes.push('[Cancelled.]');
      break;
  }
  if (result.trimmedToolResults + result.droppedMessages > 0) {
    notes.push(`[To fit the context budget, ${result.trimmedToolResults} older tool result(s) were trimmed and ${result.droppedMessages} older message(s) left out of the request.]`);
  }
  const text = result.text.trim().length > 0 ? result.text : notes.length === 0 ? '(Claude gave no text in its answer.)' : '';
  return [text, ...notes].filter((part) => part.length > 0).join('\n\n');
}

/** An unknown prompt or wrong prompt arguments: our own message, written for the caller. */
function invalidRequest(error: ApplicationError): ToolFailure {
  return new ToolFailure(
    { error: 'invalid request', reason: error.message, suggested_actions: ['see prompts/list for the prompts and their arguments'], retryable: false },
    { cause: error },
  );
}

function refused(result: SendMessageResult): ToolFailure {
  const said = result.text.trim();
  return new ToolFailure({
    error: 'Claude declined to answer',
    reason: said.length > 0 ? `the model refused: ${said.slice(0, 500)}` : 'the model refused this request (stop_reason refusal)',
    suggested_actions: ['rephrase the request', 'start a new conversation (omit conversation_id)'],
    retryable: false,
    context: { conversation_id: result.conversationId, stop_reason: 'refusal' },
  });
}

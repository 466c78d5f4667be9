/**
 * The JSON Schemas tools/list shows for claude_conversation and list_conversations, written out:
 * converting zod schemas costs start-up time on every server, conversations used or not. The zod
 * schemas in conversation.tools.ts stay the validators (built on the first call), and
 * test/unit/application/conversations/conversation-tools.test.ts fails when the two disagree.
 */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const count = { type: 'integer', minimum: 0, maximum: MAX_SAFE } as const;
const MAX_TEXT = 200_000;

const usage = {
  type: 'object',
  properties: { input_tokens: count, output_tokens: count, cache_read_input_tokens: count, cache_creation_input_tokens: count },
  required: ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'],
  additionalProperties: false,
} as const;

export const STOP_REASONS = ['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'refusal', 'pause_turn', 'max_iterations', 'cancelled', 'budget', 'other'] as const;

export const CLAUDE_CONVERSATION_INPUT = {
  type: 'object',
  properties: {
    message: { type: 'string', maxLength: MAX_TEXT, description: 'Your message to Claude. With `prompt`, added after the rendered prompt (may then be empty).' },
    conversation_id: { type: 'string', minLength: 1, maxLength: 256, description: 'Continue this conversation (from an earlier answer or list_conversations); omit to start a new one.' },
    system: { type: 'string', maxLength: MAX_TEXT, description: 'System prompt for a new conversation (a conversation keeps the one it started with).' },
    model: { type: 'string', minLength: 1, maxLength: 256, description: 'Model id for this turn (default: the conversation\'s, or the server\'s claude.model).' },
    max_tokens: { type: 'integer', exclusiveMinimum: 0, maximum: MAX_SAFE, description: 'Most tokens in each model answer (capped at the server\'s claude.max_tokens).' },
    tools: {
      type: 'array',
      maxItems: 64,
      items: { type: 'string', minLength: 1, maxLength: 128 },
      description: 'tfo-mcp tools Claude may call in this turn; each must be allowed by the server (claude.allowed_tools). Default: none.',
    },
    max_iterations: { type: 'integer', minimum: 1, maximum: 100, description: 'Most model calls in this turn (capped at the server\'s claude.max_iterations).' },
    prompt: { type: 'string', minLength: 1, maxLength: 128, description: 'Answer one of this server\'s prompts through Claude: code_review, explain_code or debug_help.' },
    prompt_arguments: {
      type: 'object',
      propertyNames: { type: 'string', maxLength: 64 },
      additionalProperties: { type: 'string', maxLength: MAX_TEXT },
      description: 'The prompt\'s arguments (see prompts/list), e.g. {"code": "…", "language": "python"}.',
    },
  },
  required: ['message'],
};

export const CLAUDE_CONVERSATION_OUTPUT = {
  type: 'object',
  properties: {
    conversation_id: { type: 'string' },
    stop_reason: { type: 'string', enum: [...STOP_REASONS] },
    iterations: { ...count, description: 'model calls made in this turn' },
    model: { type: 'string' },
    usage: { ...usage, description: 'tokens of this turn' },
    unrun_tools: { type: 'array', items: { type: 'string' }, description: 'tools the model asked for that the iteration cap left unrun' },
    context_trimmed: {
      type: 'object',
      properties: { tool_results: count, messages: count },
      required: ['tool_results', 'messages'],
      additionalProperties: false,
      description: 'what was left out of the requests to fit claude.context_budget_tokens',
    },
  },
  required: ['conversation_id', 'stop_reason', 'iterations', 'model', 'usage'],
  additionalProperties: false,
};

export const LIST_CONVERSATIONS_INPUT = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Conversations per page (1-100).' },
    cursor: { type: 'string', minLength: 1, maxLength: 1024, description: 'next_cursor from the previous page.' },
  },
};

export const LIST_CONVERSATIONS_OUTPUT = {
  type: 'object',
  properties: {
    conversations: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          model: { type: 'string' },
          status: { type: 'string' },
          messages: count,
          usage,
          created_at: { type: 'string' },
          updated_at: { type: 'string' },
        },
        required: ['id', 'title', 'model', 'status', 'messages', 'usage', 'created_at', 'updated_at'],
        additionalProperties: false,
      },
    },
    next_cursor: { type: 'string' },
  },
  required: ['conversations'],
  additionalProperties: false,
};

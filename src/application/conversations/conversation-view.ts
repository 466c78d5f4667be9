import type { Conversation, TokenUsage } from '../../domain/conversation/conversation.js';
import type { ConversationSummary } from '../../domain/conversation/conversation.repository.js';
import type { MessageContent } from '../../domain/conversation/message.js';

/** Usage as the tools and resources show it: the Messages API's own field names. */
export interface UsageView {
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_read_input_tokens: number;
  readonly cache_creation_input_tokens: number;
}

export type ContentView =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool_use'; readonly id: string; readonly name: string; readonly input: unknown }
  | { readonly type: 'tool_result'; readonly tool_use_id: string; readonly content: string; readonly is_error: boolean };

/** A transcript (conversation://{id}): everything stored, as plain JSON. */
export interface ConversationView {
  readonly id: string;
  readonly model: string;
  readonly system?: string;
  readonly status: string;
  readonly usage: UsageView;
  readonly created_at: string;
  readonly updated_at: string;
  readonly messages: readonly { readonly id: string; readonly role: string; readonly created_at: string; readonly content: readonly ContentView[] }[];
}

/** One line of list_conversations. */
export interface ConversationSummaryView {
  readonly id: string;
  readonly title: string;
  readonly model: string;
  readonly status: string;
  readonly messages: number;
  readonly usage: UsageView;
  readonly created_at: string;
  readonly updated_at: string;
}

export function usageView(usage: TokenUsage): UsageView {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_input_tokens: usage.cacheReadInputTokens,
    cache_creation_input_tokens: usage.cacheCreationInputTokens,
  };
}

export function conversationView(conversation: Conversation): ConversationView {
  return {
    id: conversation.id,
    model: conversation.model,
    ...(conversation.system !== undefined ? { system: conversation.system } : {}),
    status: conversation.status,
    usage: usageView(conversation.usage),
    created_at: conversation.createdAt.toISOString(),
    updated_at: conversation.updatedAt.toISOString(),
    messages: conversation.history.map((m) => ({ id: m.id, role: m.role, created_at: m.createdAt.toISOString(), content: m.content.map(contentView) })),
  };
}

export function summaryView(summary: ConversationSummary): ConversationSummaryView {
  return {
    id: summary.id,
    title: summary.title,
    model: summary.model,
    status: summary.status,
    messages: summary.messages,
    usage: usageView(summary.usage),
    created_at: summary.createdAt.toISOString(),
    updated_at: summary.updatedAt.toISOString(),
  };
}

function contentView(block: MessageContent): ContentView {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
    case 'tool_result':
      return { type: 'tool_result', tool_use_id: block.toolUseId, content: block.content, is_error: block.isError };
  }
}

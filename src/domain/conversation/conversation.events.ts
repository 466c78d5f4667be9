import type { DomainEvent } from '../shared/domain-event.js';
import type { ConversationStopReason, TokenUsage } from './token-usage.js';
import type { MessageContent, MessageRole } from './message.js';

/*
 * Events carry counts, names and codes, never message text or tool input/output: transcripts stay
 * in the conversation store, while events travel to NATS and ClickHouse where any consumer reads them.
 * These are the first published shapes (version 1): before issue 13 no handler recorded them.
 */

export type ConversationStarted = DomainEvent<'conversation.started', { model: string; ownerId: string; hasSystem: boolean }>;

export type ConversationMessageAdded = DomainEvent<
  'conversation.message_added',
  {
    messageId: string;
    role: MessageRole;
    contentTypes: MessageContent['type'][];
    /** The tools an assistant message asks for, in block order; absent when it asks for none. */
    toolNames?: string[];
  }
>;

export type ConversationCompleted = DomainEvent<
  'conversation.completed',
  { stopReason: ConversationStopReason; iterations: number; model: string; usage: TokenUsage }
>;

export type ConversationFailed = DomainEvent<
  'conversation.failed',
  { code: string; message: string; retryable: boolean; iterations: number; usage: TokenUsage; model: string }
>;

export type ConversationClosed = DomainEvent<'conversation.closed', { messages: number; usage: TokenUsage }>;

export type ConversationEvent =
  | ConversationStarted
  | ConversationMessageAdded
  | ConversationCompleted
  | ConversationFailed
  | ConversationClosed;

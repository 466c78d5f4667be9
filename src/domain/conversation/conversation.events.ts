import type { DomainEvent } from '../shared/domain-event.js';

export type ConversationStarted = DomainEvent<'conversation.started', { model: string }>;
export type ConversationMessageAdded = DomainEvent<
  'conversation.message_added',
  { messageId: string; role: string; contentTypes: string[] }
>;
export type ConversationClosed = DomainEvent<'conversation.closed', { messages: number }>;

export type ConversationEvent = ConversationStarted | ConversationMessageAdded | ConversationClosed;

import { AggregateRoot } from '../shared/aggregate-root.js';
import { domainEvent } from '../shared/domain-event.js';
import { DomainError } from '../shared/domain-error.js';
import type { EventMetaSource } from '../shared/event-meta-source.js';
import type { ConversationEvent } from './conversation.events.js';
import { Message, type MessageContent, type MessageRole } from './message.js';

const AGGREGATE = 'conversation';

/** A dialogue with the LLM inside one session; roles must alternate, as the Messages API requires. */
export class Conversation extends AggregateRoot<ConversationEvent> {
  private readonly messages: Message[] = [];
  private closed = false;

  private constructor(
    readonly id: string,
    readonly sessionId: string,
    readonly model: string,
    private readonly meta: EventMetaSource,
  ) {
    super();
  }

  static start(id: string, sessionId: string, model: string, meta: EventMetaSource): Conversation {
    if (model.trim().length === 0) throw new DomainError('value.invalid', 'a conversation needs a model name');
    const conversation = new Conversation(id, sessionId, model, meta);
    conversation.record(domainEvent(AGGREGATE, id, 'conversation.started', { model }, meta(), sessionId));
    return conversation;
  }

  addMessage(role: MessageRole, content: readonly MessageContent[]): Message {
    if (this.closed) throw new DomainError('conversation.invalid_message', `conversation ${this.id} is closed`);
    const last = this.messages[this.messages.length - 1];
    if (last?.role === role) {
      throw new DomainError('conversation.invalid_message', `two ${role} messages in a row; roles must alternate`);
    }
    if (!last && role !== 'user') throw new DomainError('conversation.invalid_message', 'a conversation starts with a user message');
    const m = this.meta();
    const message = Message.create(m.id, role, content, m.occurredAt);
    this.messages.push(message);
    this.record(
      domainEvent(
        AGGREGATE,
        this.id,
        'conversation.message_added',
        { messageId: message.id, role, contentTypes: content.map((c) => c.type) },
        m,
        this.sessionId,
      ),
    );
    return message;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.record(domainEvent(AGGREGATE, this.id, 'conversation.closed', { messages: this.messages.length }, this.meta(), this.sessionId));
  }

  get history(): readonly Message[] {
    return this.messages;
  }
}

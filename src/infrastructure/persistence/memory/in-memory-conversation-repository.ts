import type { Outbox } from '../../../application/ports/outbox.js';
import type { Conversation } from '../../../domain/conversation/conversation.js';
import type { ConversationRepository } from '../../../domain/conversation/conversation.repository.js';

export class InMemoryConversationRepository implements ConversationRepository {
  private readonly conversations = new Map<string, Conversation>();

  constructor(private readonly outbox: Outbox) {}

  async find(id: string): Promise<Conversation | undefined> {
    return this.conversations.get(id);
  }

  async save(conversation: Conversation): Promise<void> {
    this.conversations.set(conversation.id, conversation);
    const events = conversation.pullEvents();
    if (events.length > 0) await this.outbox.append(events);
  }
}

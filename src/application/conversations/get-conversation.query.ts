import type { ConversationRepository } from '../../domain/conversation/conversation.repository.js';
import { Query, type QueryHandler } from '../bus/message-bus.js';
import { conversationView, type ConversationView } from './conversation-view.js';

/** One of the owner's conversations as a transcript; none when the owner has none by that id. */
export class GetConversationQuery extends Query<{ readonly conversation?: ConversationView }> {
  constructor(
    readonly ownerId: string,
    readonly conversationId: string,
  ) {
    super();
  }
}

export class GetConversationHandler implements QueryHandler<GetConversationQuery> {
  readonly handles = GetConversationQuery;

  constructor(private readonly conversations: ConversationRepository) {}

  async execute(query: GetConversationQuery): Promise<{ readonly conversation?: ConversationView }> {
    const conversation = await this.conversations.find(query.conversationId);
    // Another owner's conversation does not exist for this caller.
    return conversation && conversation.ownerId === query.ownerId ? { conversation: conversationView(conversation) } : {};
  }
}

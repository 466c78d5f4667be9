import type { ConversationRepository } from '../../domain/conversation/conversation.repository.js';
import { Query, type QueryHandler } from '../bus/message-bus.js';
import { summaryView, type ConversationSummaryView } from './conversation-view.js';

export interface ConversationList {
  readonly conversations: ConversationSummaryView[];
  /** Present when more follow: pass it back unchanged as `cursor`. */
  readonly nextCursor?: string;
}

/** The owner's conversations, the most recently active first, a page at a time. */
export class ListConversationsQuery extends Query<ConversationList> {
  constructor(
    readonly ownerId: string,
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

export class ListConversationsHandler implements QueryHandler<ListConversationsQuery> {
  readonly handles = ListConversationsQuery;

  constructor(private readonly conversations: ConversationRepository) {}

  async execute(query: ListConversationsQuery): Promise<ConversationList> {
    const page = await this.conversations.list(query.ownerId, { limit: query.limit, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) });
    const conversations = page.items.map(summaryView);
    return page.nextCursor !== undefined ? { conversations, nextCursor: page.nextCursor } : { conversations };
  }
}

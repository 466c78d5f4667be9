import type { Conversation } from './conversation.js';

/** Port. Used by the conversation use cases of the Claude issue. */
export interface ConversationRepository {
  find(id: string): Promise<Conversation | undefined>;
  save(conversation: Conversation): Promise<void>;
}

import { ConversationVersionConflict, summaryOf, type ConversationRepository } from '../../domain/conversation/conversation.repository.js';
import { Command, type CommandHandler } from '../bus/message-bus.js';
import { conversationBusy, conversationNotFound } from './conversation-failures.js';
import { summaryView, type ConversationSummaryView } from './conversation-view.js';

/** Ends one of the owner's conversations for good (idempotent); its transcript stays readable. */
export class CloseConversationCommand extends Command<ConversationSummaryView> {
  constructor(
    readonly ownerId: string,
    readonly conversationId: string,
  ) {
    super();
  }
}

export class CloseConversationHandler implements CommandHandler<CloseConversationCommand> {
  readonly handles = CloseConversationCommand;

  constructor(private readonly conversations: ConversationRepository) {}

  async execute(command: CloseConversationCommand): Promise<ConversationSummaryView> {
    const conversation = await this.conversations.find(command.conversationId);
    if (!conversation || conversation.ownerId !== command.ownerId) throw conversationNotFound(command.conversationId);
    conversation.close();
    try {
      await this.conversations.save(conversation);
    } catch (error) {
      // A turn saved first: closing it now would drop that turn's answer; the caller retries.
      if (error instanceof ConversationVersionConflict) throw conversationBusy(conversation.id, error);
      throw error;
    }
    return summaryView(summaryOf(conversation));
  }
}

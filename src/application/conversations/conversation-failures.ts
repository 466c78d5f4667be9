import { ToolFailure } from '../application.errors.js';

/** Unknown, or another owner's: the same answer, so ids cannot be probed. */
export function conversationNotFound(id: string): ToolFailure {
  return new ToolFailure({
    error: 'conversation not found',
    reason: `no conversation of yours has the id "${id.slice(0, 128)}"`,
    suggested_actions: ['find your conversations with list_conversations', 'start a new conversation (omit conversation_id)'],
    retryable: false,
    follow_up_tools: ['list_conversations'],
  });
}

export function conversationClosed(id: string): ToolFailure {
  return new ToolFailure({
    error: 'conversation closed',
    reason: 'the conversation was closed; no message can be added to it',
    suggested_actions: ['start a new conversation (omit conversation_id)'],
    retryable: false,
    context: { conversation_id: id },
  });
}

/** A turn of the same conversation is running, here or on another replica. */
export function conversationBusy(id: string, cause?: unknown): ToolFailure {
  return new ToolFailure(
    {
      error: 'conversation busy',
      reason: 'another message to this conversation is being answered; a conversation takes one message at a time',
      suggested_actions: ['wait for the other answer, then send this message again with the same conversation_id'],
      retryable: true,
      context: { conversation_id: id },
    },
    cause === undefined ? undefined : { cause },
  );
}

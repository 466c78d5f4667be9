import { DomainError } from '../shared/domain-error.js';

export type MessageRole = 'user' | 'assistant';

export type MessageContent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool_use'; readonly id: string; readonly name: string; readonly input: unknown }
  | { readonly type: 'tool_result'; readonly toolUseId: string; readonly content: string; readonly isError: boolean };

/** A message as repositories store it: plain JSON, the creation time as ISO 8601. */
export interface MessageSnapshot {
  readonly id: string;
  readonly role: MessageRole;
  readonly content: readonly MessageContent[];
  readonly createdAt: string;
}

/** One turn of a conversation. Immutable once added. */
export class Message {
  private constructor(
    readonly id: string,
    readonly role: MessageRole,
    readonly content: readonly MessageContent[],
    readonly createdAt: Date,
  ) {}

  static create(id: string, role: MessageRole, content: readonly MessageContent[], createdAt: Date): Message {
    if (content.length === 0) throw new DomainError('conversation.invalid_message', 'a message needs at least one content block');
    if (role === 'user' && content.some((c) => c.type === 'tool_use')) {
      throw new DomainError('conversation.invalid_message', 'only the assistant may request tool use');
    }
    if (role === 'assistant' && content.some((c) => c.type === 'tool_result')) {
      throw new DomainError('conversation.invalid_message', 'tool results come from the user side of the conversation');
    }
    return new Message(id, role, Object.freeze([...content]), createdAt);
  }

  /**
   * A stored message, as it was: no rule is checked again, so a message stored under older rules
   * still loads (the aggregate checked it when it was added).
   */
  static restore(snapshot: MessageSnapshot): Message {
    return new Message(snapshot.id, snapshot.role, Object.freeze([...snapshot.content]), new Date(snapshot.createdAt));
  }

  /** The same message with other content (a trimmed copy for a context budget); not stored. */
  withContent(content: readonly MessageContent[]): Message {
    return new Message(this.id, this.role, Object.freeze([...content]), this.createdAt);
  }

  toJSON(): MessageSnapshot {
    return { id: this.id, role: this.role, content: this.content, createdAt: this.createdAt.toISOString() };
  }
}

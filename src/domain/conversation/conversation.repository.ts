import { Buffer } from 'node:buffer';
import { DomainError } from '../shared/domain-error.js';
import type { Conversation, ConversationStatus, TokenUsage } from './conversation.js';

/** One line of a caller's conversation list: no message text beyond the title. */
export interface ConversationSummary {
  readonly id: string;
  readonly ownerId: string;
  readonly model: string;
  readonly status: ConversationStatus;
  readonly messages: number;
  readonly usage: TokenUsage;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** The first user text, at most 80 characters. */
  readonly title: string;
}

export interface ConversationPage {
  readonly items: ConversationSummary[];
  /** Present when more follow: pass it back unchanged. */
  readonly nextCursor?: string;
}

/**
 * Another save of the same conversation committed first (two turns of one conversation at once,
 * or a close racing a turn). Nothing of the losing save was stored; the caller reloads and decides.
 */
export class ConversationVersionConflict extends Error {
  constructor(readonly conversationId: string) {
    super(`conversation ${conversationId.slice(0, 80)} was changed by another request; reload it and retry`);
    this.name = 'ConversationVersionConflict';
  }
}

/**
 * Port. A save stores the conversation and its pulled events in one unit of work (the outbox), over
 * the version it was loaded at: it throws ConversationVersionConflict when another save committed
 * since. Stored messages are never changed. `list` is one owner's conversations, the most recently
 * updated first (ties: id, descending), a page at a time.
 */
export interface ConversationRepository {
  find(id: string): Promise<Conversation | undefined>;
  save(conversation: Conversation): Promise<void>;
  list(ownerId: string, page: { cursor?: string; limit: number }): Promise<ConversationPage>;
}

export const MAX_CONVERSATION_PAGE = 1000;

/** Where a page stops: the last conversation it holds, in list order. */
export interface ListPosition {
  readonly updatedAtMs: number;
  readonly id: string;
}

const CURSOR = /^c:(\d{1,15}):([\s\S]+)$/;

/** Opaque to callers; both adapters read and write the same format, so they page alike. */
export function encodeListCursor(position: ListPosition): string {
  return Buffer.from(`c:${position.updatedAtMs}:${position.id}`).toString('base64url');
}

export function decodeListCursor(cursor: string): ListPosition {
  const match = cursor.length <= 1024 ? CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  if (!match) throw new DomainError('value.invalid', 'invalid cursor: pass back a nextCursor value unchanged');
  return { updatedAtMs: Number(match[1]), id: match[2] };
}

/** A page size is 1..MAX_CONVERSATION_PAGE. */
export function checkedPageLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_CONVERSATION_PAGE) {
    throw new DomainError('value.invalid', `a page holds 1 to ${MAX_CONVERSATION_PAGE} conversations, got ${limit}`);
  }
  return limit;
}

export function summaryOf(conversation: Conversation): ConversationSummary {
  return {
    id: conversation.id,
    ownerId: conversation.ownerId,
    model: conversation.model,
    status: conversation.status,
    messages: conversation.history.length,
    usage: conversation.usage,
    createdAt: conversation.createdAt,
    updatedAt: conversation.updatedAt,
    title: conversation.title,
  };
}

import type { Outbox } from '../../../application/ports/outbox.js';
import { Conversation, type ConversationSnapshot } from '../../../domain/conversation/conversation.js';
import {
  checkedPageLimit,
  ConversationVersionConflict,
  decodeListCursor,
  encodeListCursor,
  summaryOf,
  type ConversationPage,
  type ConversationRepository,
} from '../../../domain/conversation/conversation.repository.js';
import type { EventMetaSource } from '../../../domain/shared/event-meta-source.js';

/**
 * Conversations of one process. Stores snapshots, not live aggregates, so every `find` hands out a
 * fresh copy and the version check behaves as it does in Postgres (two requests continuing one
 * conversation act like two replicas).
 */
export class InMemoryConversationRepository implements ConversationRepository {
  private readonly rows = new Map<string, ConversationSnapshot>();

  constructor(
    private readonly outbox: Outbox,
    private readonly meta: EventMetaSource,
  ) {}

  async find(id: string): Promise<Conversation | undefined> {
    const row = this.rows.get(id);
    return row && Conversation.restore(row, this.meta);
  }

  async save(conversation: Conversation): Promise<void> {
    const stored = this.rows.get(conversation.id)?.version ?? 0;
    if (stored !== conversation.version) throw new ConversationVersionConflict(conversation.id);
    const events = conversation.pullEvents();
    // Checked and written with no await between, so two saves from one version cannot both pass.
    this.rows.set(conversation.id, { ...conversation.snapshot(), version: stored + 1 });
    conversation.stored(stored + 1);
    if (events.length > 0) await this.outbox.append(events);
  }

  async list(ownerId: string, page: { cursor?: string; limit: number }): Promise<ConversationPage> {
    const limit = checkedPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeListCursor(page.cursor);
    const mine = [...this.rows.values()]
      .filter((row) => row.ownerId === ownerId)
      .map((row) => ({ row, at: Date.parse(row.updatedAt) }))
      .sort((a, b) => b.at - a.at || byIdDescending(a.row.id, b.row.id))
      .filter(({ row, at }) => !after || at < after.updatedAtMs || (at === after.updatedAtMs && byIdDescending(row.id, after.id) > 0));
    const items = mine.slice(0, limit).map(({ row }) => summaryOf(Conversation.restore(row, this.meta)));
    const last = items[items.length - 1];
    return mine.length > limit && last ? { items, nextCursor: encodeListCursor({ updatedAtMs: last.updatedAt.getTime(), id: last.id }) } : { items };
  }
}

/** Byte order of the ids, as Postgres compares them under COLLATE "C" (UTF-8 and UTF-16 code-unit order differ only above U+FFFF). */
function byIdDescending(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

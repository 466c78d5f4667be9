import type { Pool, PoolClient } from 'pg';
import { Conversation } from '../../../domain/conversation/conversation.js';
import type { ConversationRepository } from '../../../domain/conversation/conversation.repository.js';
import type { MessageContent, MessageRole } from '../../../domain/conversation/message.js';
import type { EventMeta } from '../../../domain/shared/domain-event.js';
import type { EventMetaSource } from '../../../domain/shared/event-meta-source.js';
import { insertOutboxEvents } from './outbox-rows.js';
import { toJsonb } from './pg-errors.js';
import { withTransaction } from './postgres-pool.js';

interface ConversationRow {
  id: string;
  session_id: string;
  model: string;
  created_at: Date;
  closed_at: Date | null;
}

interface MessageRow {
  id: string;
  role: MessageRole;
  content: MessageContent[];
  created_at: Date;
}

const MESSAGE_INSERT_CHUNK = 1000;

/** A conversation row plus its append-only messages; state and events commit together. */
export class PostgresConversationRepository implements ConversationRepository {
  constructor(
    private readonly pool: Pool,
    private readonly meta: EventMetaSource,
  ) {}

  async find(id: string): Promise<Conversation | undefined> {
    if (id.includes('\u0000')) return undefined;
    const head = await this.pool.query<ConversationRow>(
      'SELECT id, session_id, model, created_at, closed_at FROM conversations WHERE id = $1',
      [id],
    );
    const row = head.rows[0];
    if (!row) return undefined;
    const messages = await this.pool.query<MessageRow>(
      'SELECT id, role, content, created_at FROM conversation_messages WHERE conversation_id = $1 ORDER BY position',
      [id],
    );
    return rebuild(row, messages.rows, this.meta);
  }

  async save(conversation: Conversation): Promise<void> {
    const events = conversation.pullEvents();
    const started = events.find((e) => e.type === 'conversation.started');
    const closed = events.find((e) => e.type === 'conversation.closed');
    const added = new Set(events.flatMap((e) => (e.type === 'conversation.message_added' ? [e.data.messageId] : [])));
    await withTransaction(this.pool, async (client) => {
      // The upsert locks the conversation row, so concurrent saves of one conversation queue here.
      await client.query(
        `INSERT INTO conversations (id, session_id, model, created_at, closed_at)
         VALUES ($1, $2, $3, COALESCE($4::timestamptz, now()), $5)
         ON CONFLICT (id) DO UPDATE SET updated_at = now(), closed_at = COALESCE(conversations.closed_at, EXCLUDED.closed_at)`,
        [conversation.id, conversation.sessionId, conversation.model, started?.occurredAt ?? null, closed?.occurredAt ?? null],
      );
      await this.appendMessages(client, conversation, added);
      await insertOutboxEvents(client, events);
    });
  }

  private async appendMessages(client: PoolClient, conversation: Conversation, added: ReadonlySet<string>): Promise<void> {
    const history = conversation.history;
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM conversation_messages WHERE conversation_id = $1', [
      conversation.id,
    ]);
    const stored = rows[0]?.n ?? 0;
    // A message this save reports as new but whose position is already taken was added from a stale copy.
    if (history.slice(0, stored).some((message) => added.has(message.id))) {
      throw new Error(`conversation ${conversation.id.slice(0, 80)} changed since it was loaded; reload it and retry`);
    }
    for (let start = stored; start < history.length; start += MESSAGE_INSERT_CHUNK) {
      const values: unknown[] = [];
      const tuples = history.slice(start, start + MESSAGE_INSERT_CHUNK).map((message, i) => {
        values.push(conversation.id, start + i, message.id, message.role, toJsonb(message.content), message.createdAt);
        const b = i * 6;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::jsonb, $${b + 6})`;
      });
      await client.query(
        `INSERT INTO conversation_messages (conversation_id, position, id, role, content, created_at) VALUES ${tuples.join(', ')}`,
        values,
      );
    }
  }
}

/**
 * Conversation has no restore(): it is rebuilt by replaying start, addMessage and close with a meta
 * source that hands back the stored ids and times, then the live one. The replayed events are
 * dropped. A domain Conversation.restore(snapshot, meta) would make this unnecessary.
 */
function rebuild(row: ConversationRow, messages: readonly MessageRow[], live: EventMetaSource): Conversation {
  const script: EventMeta[] = [
    { id: `${row.id}:started`, occurredAt: row.created_at },
    ...messages.map((m) => ({ id: m.id, occurredAt: m.created_at })),
    ...(row.closed_at ? [{ id: `${row.id}:closed`, occurredAt: row.closed_at }] : []),
  ];
  let next = 0;
  const meta: EventMetaSource = () => (next < script.length ? script[next++] : live());
  const conversation = Conversation.start(row.id, row.session_id, row.model, meta);
  for (const message of messages) conversation.addMessage(message.role, message.content);
  if (row.closed_at) conversation.close();
  if (next !== script.length) {
    throw new Error('rebuilding a conversation drew an unexpected number of event ids; the replay no longer matches the domain');
  }
  conversation.pullEvents();
  return conversation;
}

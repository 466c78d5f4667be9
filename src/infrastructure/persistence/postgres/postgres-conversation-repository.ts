import type { Pool, PoolClient } from 'pg';
import { Conversation, type ConversationSnapshot, type ConversationStatus } from '../../../domain/conversation/conversation.js';
import {
  checkedPageLimit,
  ConversationVersionConflict,
  decodeListCursor,
  encodeListCursor,
  type ConversationPage,
  type ConversationRepository,
  type ConversationSummary,
} from '../../../domain/conversation/conversation.repository.js';
import type { MessageSnapshot } from '../../../domain/conversation/message.js';
import type { EventMetaSource } from '../../../domain/shared/event-meta-source.js';
import { insertOutboxEvents } from './outbox-rows.js';
import { toJsonb, withoutNul } from './pg-errors.js';
import { withTransaction } from './postgres-pool.js';

interface HeadRow {
  id: string;
  owner_id: string;
  model: string;
  system: string | null;
  status: ConversationStatus;
  input_tokens: string;
  output_tokens: string;
  cache_read_input_tokens: string;
  cache_creation_input_tokens: string;
  message_count: number;
  title: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

interface StoredMessage extends Omit<MessageSnapshot, 'createdAt'> {
  /** timestamptz as JSON, with the session's offset. */
  readonly createdAt: string;
}

const HEAD = `id, owner_id, model, system, status, input_tokens, output_tokens, cache_read_input_tokens,
  cache_creation_input_tokens, message_count, title, created_at, updated_at, version`;
const MESSAGE_INSERT_CHUNK = 1000;

/**
 * A conversation row (migration 004, extended by 007) plus its append-only messages. A save writes
 * the row over the version it was loaded at, appends the messages it does not hold yet and inserts
 * the events into the outbox, in one transaction. `find` reads the row and its messages in one
 * statement, so it never pairs a row with another save's messages.
 */
export class PostgresConversationRepository implements ConversationRepository {
  constructor(
    private readonly pool: Pool,
    private readonly meta: EventMetaSource,
  ) {}

  async find(id: string): Promise<Conversation | undefined> {
    // Postgres text cannot hold U+0000, so such an id cannot name a stored conversation.
    if (id.includes('\u0000')) return undefined;
    const { rows } = await this.pool.query<HeadRow & { messages: StoredMessage[] }>(
      `SELECT ${HEAD}, COALESCE((
          SELECT jsonb_agg(jsonb_build_object('id', m.id, 'role', m.role, 'content', m.content, 'createdAt', m.created_at) ORDER BY m.position)
            FROM conversation_messages m WHERE m.conversation_id = c.id), '[]'::jsonb) AS messages
         FROM conversations c WHERE c.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return undefined;
    const messages = row.messages.map((m) => ({ ...m, createdAt: new Date(m.createdAt).toISOString() }));
    const snapshot: ConversationSnapshot = {
      ...headOf(row),
      ...(row.system !== null ? { system: row.system } : {}),
      messages,
      version: row.version,
    };
    return Conversation.restore(snapshot, this.meta);
  }

  async save(conversation: Conversation): Promise<void> {
    const s = conversation.snapshot();
    const events = conversation.pullEvents();
    await withTransaction(this.pool, async (client) => {
      const held = s.version === 0 ? await this.insertHead(client, s, conversation.title) : await this.updateHead(client, s, conversation.title);
      if (held > s.messages.length) throw new ConversationVersionConflict(s.id);
      await appendMessages(client, s.id, s.messages, held);
      await insertOutboxEvents(client, events);
    });
    conversation.stored(s.version + 1);
  }

  async list(ownerId: string, page: { cursor?: string; limit: number }): Promise<ConversationPage> {
    const limit = checkedPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeListCursor(page.cursor);
    const values: unknown[] = [withoutNul(ownerId), limit + 1];
    let where = 'owner_id = $1';
    if (after) {
      values.push(new Date(after.updatedAtMs), withoutNul(after.id));
      where += ' AND (updated_at < $3 OR (updated_at = $3 AND id COLLATE "C" < $4))';
    }
    const { rows } = await this.pool.query<HeadRow>(
      `SELECT ${HEAD} FROM conversations WHERE ${where} ORDER BY updated_at DESC, id COLLATE "C" DESC LIMIT $2`,
      values,
    );
    const items = rows.slice(0, limit).map(summaryOf);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, nextCursor: encodeListCursor({ updatedAtMs: last.updatedAt.getTime(), id: last.id }) } : { items };
  }

  /** A new conversation: 0 messages held. Another copy saved first (the same id) is a conflict. */
  private async insertHead(client: PoolClient, s: ConversationSnapshot, title: string): Promise<number> {
    const inserted = await client.query(
      `INSERT INTO conversations (id, owner_id, model, system, created_at, status, input_tokens, output_tokens, cache_read_input_tokens,
                                  cache_creation_input_tokens, message_count, title, updated_at, closed_at, version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1)
       ON CONFLICT (id) DO NOTHING`,
      [withoutNul(s.id), withoutNul(s.ownerId), withoutNul(s.model), s.system !== undefined ? withoutNul(s.system) : null, s.createdAt, ...stateColumns(s, title)],
    );
    if (inserted.rowCount === 0) throw new ConversationVersionConflict(s.id);
    return 0;
  }

  /**
   * A stored conversation, over the version it was loaded at: returns how many messages the store
   * holds. The row lock queues concurrent saves of one conversation; the later one then finds the
   * version moved and is refused.
   */
  private async updateHead(client: PoolClient, s: ConversationSnapshot, title: string): Promise<number> {
    const { rows } = await client.query<{ message_count: number; version: number }>(
      'SELECT message_count, version FROM conversations WHERE id = $1 FOR UPDATE',
      [withoutNul(s.id)],
    );
    const row = rows[0];
    if (!row || row.version !== s.version) throw new ConversationVersionConflict(s.id);
    await client.query(
      `UPDATE conversations SET status = $2, input_tokens = $3, output_tokens = $4, cache_read_input_tokens = $5,
              cache_creation_input_tokens = $6, message_count = $7, title = $8, updated_at = $9,
              closed_at = COALESCE(closed_at, $10), version = version + 1
        WHERE id = $1`,
      [withoutNul(s.id), ...stateColumns(s, title)],
    );
    return row.message_count;
  }
}

/** status, four token counts, message_count, title, updated_at, closed_at. */
function stateColumns(s: ConversationSnapshot, title: string): unknown[] {
  return [
    s.status,
    s.usage.inputTokens,
    s.usage.outputTokens,
    s.usage.cacheReadInputTokens,
    s.usage.cacheCreationInputTokens,
    s.messages.length,
    withoutNul(title),
    s.updatedAt,
    s.status === 'closed' ? s.updatedAt : null,
  ];
}

async function appendMessages(client: PoolClient, id: string, messages: readonly MessageSnapshot[], held: number): Promise<void> {
  for (let start = held; start < messages.length; start += MESSAGE_INSERT_CHUNK) {
    const values: unknown[] = [];
    const tuples = messages.slice(start, start + MESSAGE_INSERT_CHUNK).map((message, i) => {
      values.push(withoutNul(id), start + i, withoutNul(message.id), message.role, toJsonb(message.content), message.createdAt);
      const b = i * 6;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::jsonb, $${b + 6})`;
    });
    await client.query(`INSERT INTO conversation_messages (conversation_id, position, id, role, content, created_at) VALUES ${tuples.join(', ')}`, values);
  }
}

function headOf(row: HeadRow): Omit<ConversationSnapshot, 'messages' | 'version' | 'system'> {
  return {
    id: row.id,
    ownerId: row.owner_id,
    model: row.model,
    status: row.status,
    usage: {
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      cacheReadInputTokens: Number(row.cache_read_input_tokens),
      cacheCreationInputTokens: Number(row.cache_creation_input_tokens),
    },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function summaryOf(row: HeadRow): ConversationSummary {
  const head = headOf(row);
  return { ...head, messages: row.message_count, title: row.title, createdAt: row.created_at, updatedAt: row.updated_at };
}

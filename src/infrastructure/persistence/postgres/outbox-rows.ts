import type { Pool, PoolClient } from 'pg';
import type { DomainEvent } from '../../../domain/shared/domain-event.js';
import { toJsonb, withoutNul } from './pg-errors.js';

const COLUMNS = 7;
/** Events per INSERT, well under Postgres' 65,535 bind parameters. More take several statements. */
export const OUTBOX_INSERT_CHUNK = 1000;

/**
 * Inserts events into the outbox, in order, in one statement: inside a repository's transaction it
 * commits or rolls back with the state change; the table's trigger wakes relays at commit.
 * A duplicate event id fails the statement (and so the transaction). Callers that pass more than
 * OUTBOX_INSERT_CHUNK events run this inside a transaction, so the statements commit together.
 */
export async function insertOutboxEvents(db: Pool | PoolClient, events: readonly DomainEvent[]): Promise<void> {
  for (let start = 0; start < events.length; start += OUTBOX_INSERT_CHUNK) {
    await insertChunk(db, events.slice(start, start + OUTBOX_INSERT_CHUNK));
  }
}

async function insertChunk(db: Pool | PoolClient, events: readonly DomainEvent[]): Promise<void> {
  const values: unknown[] = [];
  const rows = events.map((event, index) => {
    values.push(
      withoutNul(event.id),
      withoutNul(event.type),
      withoutNul(event.aggregateType),
      withoutNul(event.aggregateId),
      event.sessionId !== undefined ? withoutNul(event.sessionId) : null,
      event.occurredAt,
      toJsonb(event),
    );
    const base = index * COLUMNS;
    return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}::jsonb)`;
  });
  await db.query(
    `INSERT INTO outbox (event_id, type, aggregate_type, aggregate_id, session_id, occurred_at, payload) VALUES ${rows.join(', ')}`,
    values,
  );
}

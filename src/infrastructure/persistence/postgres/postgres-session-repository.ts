import type { Pool } from 'pg';
import { DomainError } from '../../../domain/shared/domain-error.js';
import type { EventMetaSource } from '../../../domain/shared/event-meta-source.js';
import { Session, type SessionSnapshot } from '../../../domain/session/session.js';
import type { SessionRepository } from '../../../domain/session/session.repository.js';
import { SESSION_STATES, type SessionState } from '../../../domain/session/session-state.js';
import { insertOutboxEvents } from './outbox-rows.js';
import { toJsonb, withoutNul } from './pg-errors.js';
import { withTransaction } from './postgres-pool.js';

/**
 * Sessions as snapshots (jsonb) plus queryable copies of state, times and the principal's id. `get` restores a fresh
 * aggregate each time (unlike the in-memory identity map), so concurrent saves of one session are
 * last-writer-wins; ADR 002 keeps saves to lifecycle changes, which a client makes one at a time.
 */
export class PostgresSessionRepository implements SessionRepository {
  constructor(
    private readonly pool: Pool,
    private readonly meta: EventMetaSource,
  ) {}

  async get(id: string): Promise<Session> {
    // Postgres text cannot hold U+0000, so such an id cannot name a stored session.
    if (id.includes('\u0000')) throw notFound(id);
    const { rows } = await this.pool.query<{ snapshot: SessionSnapshot }>('SELECT snapshot FROM sessions WHERE id = $1', [id]);
    const row = rows[0];
    if (!row) throw notFound(id);
    return Session.restore(row.snapshot, this.meta);
  }

  /** State and the pulled events commit together; if the transaction fails, neither is stored. */
  async save(session: Session): Promise<void> {
    const snapshot = session.snapshot();
    const events = session.pullEvents();
    await withTransaction(this.pool, async (client) => {
      // Skipping identical snapshots keeps updated_at meaningful and avoids dead tuples.
      await client.query(
        `INSERT INTO sessions (id, state, transport, snapshot, created_at, closed_at, principal)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE
           SET state = EXCLUDED.state, snapshot = EXCLUDED.snapshot, closed_at = EXCLUDED.closed_at, updated_at = now()
           WHERE sessions.snapshot IS DISTINCT FROM EXCLUDED.snapshot`,
        [snapshot.id, snapshot.state, snapshot.transport, toJsonb(snapshot), snapshot.createdAt, snapshot.closedAt ?? null, snapshot.principal ? withoutNul(snapshot.principal.id) : null],
      );
      await insertOutboxEvents(client, events);
    });
  }

  async countByState(): Promise<Record<SessionState, number>> {
    const counts = Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;
    const { rows } = await this.pool.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM sessions GROUP BY state');
    for (const row of rows) if (row.state in counts) counts[row.state as SessionState] = row.n;
    return counts;
  }
}

function notFound(id: string): DomainError {
  return new DomainError('session.not_found', `session ${id.slice(0, 80)} does not exist`);
}

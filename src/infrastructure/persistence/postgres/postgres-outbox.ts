import type { Pool } from 'pg';
import type { Logger } from '../../../application/ports/logger.js';
import type { OutboxBacklog } from '../../../application/ports/metrics.js';
import type { Outbox, OutboxEntry } from '../../../application/ports/outbox.js';
import type { DomainEvent } from '../../../domain/shared/domain-event.js';
import { OutboxAppendWatcher } from './outbox-append-watcher.js';
import { insertOutboxEvents, OUTBOX_INSERT_CHUNK } from './outbox-rows.js';
import { withoutNul } from './pg-errors.js';
import { withTransaction } from './postgres-pool.js';

export interface PostgresOutboxOptions {
  /** How long a claim is exclusive; a relay that dies mid-batch gives its rows back after this. Default 30 s. */
  readonly leaseMs?: number;
  /** The fallback poll behind LISTEN/NOTIFY. Default 1 s. */
  readonly pollIntervalMs?: number;
  /** Wait before re-opening a lost LISTEN connection. Default 1 s. */
  readonly reconnectDelayMs?: number;
}

const MAX_ERROR_LENGTH = 2_000;
const CLAIMABLE = 'published_at IS NULL AND parked_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())';

/**
 * The durable outbox. Claims are leases taken with FOR UPDATE SKIP LOCKED, so relays in several
 * processes share the table without ever holding the same row, and a crashed relay's rows come back
 * once its lease runs out. Publishing may then repeat an event: consumers dedupe on the event id.
 */
export class PostgresOutbox implements Outbox {
  private readonly leaseMs: number;
  private readonly watcher: OutboxAppendWatcher;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    options: PostgresOutboxOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.watcher = new OutboxAppendWatcher(pool, logger, {
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      reconnectDelayMs: options.reconnectDelayMs ?? 1_000,
    });
  }

  /** For events no repository save carries (e.g. tool.registered); listeners wake through NOTIFY. */
  async append(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (events.length <= OUTBOX_INSERT_CHUNK) await insertOutboxEvents(this.pool, events);
    else await withTransaction(this.pool, (client) => insertOutboxEvents(client, events));
  }

  async claim(limit: number): Promise<OutboxEntry[]> {
    if (limit < 1) return [];
    const { rows } = await this.pool.query<{ payload: DomainEvent; attempts: number }>(
      `WITH next AS (
         SELECT seq FROM outbox WHERE ${CLAIMABLE} ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE outbox o SET claimed_until = now() + $2 * interval '1 millisecond'
         FROM next WHERE o.seq = next.seq
         RETURNING o.seq, o.payload, o.attempts
       )
       SELECT payload, attempts FROM claimed ORDER BY seq`,
      [Math.trunc(limit), this.leaseMs],
    );
    return rows.map((row) => ({ event: row.payload, attempts: row.attempts }));
  }

  /** Only rows this outbox handed out count; anything else (unknown, queued, parked) is ignored. */
  async markPublished(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE outbox SET published_at = now(), claimed_until = NULL
       WHERE event_id = ANY($1::text[]) AND published_at IS NULL AND parked_at IS NULL AND claimed_until IS NOT NULL`,
      [ids.map(withoutNul)],
    );
  }

  /**
   * Counts a failed attempt and gives the rows back at once (the relay owns the backoff), or parks
   * them at `maxAttempts`. Ids that are not claimed are ignored, as in memory.
   */
  async release(ids: readonly string[], error: string, maxAttempts: number): Promise<{ parked: string[] }> {
    if (ids.length === 0) return { parked: [] };
    const { rows } = await this.pool.query<{ event_id: string; parked: boolean }>(
      `UPDATE outbox
         SET attempts = attempts + 1, last_error = $2, claimed_until = NULL,
             parked_at = CASE WHEN attempts + 1 >= $3 THEN now() END
       WHERE event_id = ANY($1::text[]) AND published_at IS NULL AND parked_at IS NULL AND claimed_until IS NOT NULL
       RETURNING event_id, parked_at IS NOT NULL AS parked`,
      // attempts is an integer column: "never park" arrives as a huge number and is clamped to int4.
      [ids.map(withoutNul), withoutNul(error).slice(0, MAX_ERROR_LENGTH), Math.min(Math.max(1, Math.floor(maxAttempts)), 2_147_483_647)],
    );
    const parkedSet = new Set(rows.filter((row) => row.parked).map((row) => row.event_id));
    const parked = ids.filter((id) => parkedSet.has(withoutNul(id)));
    if (parked.length > 0) this.logger.error('outbox entries parked after repeated publish failures', { ids: parked, error });
    return { parked };
  }

  onAppend(listener: () => void): void {
    this.watcher.add(listener);
  }

  /** Unpublished and not parked, claimed or not (as in memory). */
  async pending(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND parked_at IS NULL',
    );
    return rows[0]?.n ?? 0;
  }

  /** One scan for the three gauges; the age from the database's clock, as created_at is. */
  async backlog(): Promise<OutboxBacklog> {
    const { rows } = await this.pool.query<{ pending: number; age: number | null; parked: number }>(
      `SELECT count(*) FILTER (WHERE published_at IS NULL AND parked_at IS NULL)::int AS pending,
              EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE published_at IS NULL AND parked_at IS NULL))::float8 AS age,
              count(*) FILTER (WHERE parked_at IS NOT NULL)::int AS parked
         FROM outbox WHERE published_at IS NULL`,
    );
    const row = rows[0];
    return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0), parked: row?.parked ?? 0 };
  }

  async parkedCount(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE parked_at IS NOT NULL');
    return rows[0]?.n ?? 0;
  }

  /** Stops the poll and returns the LISTEN connection; call before ending the pool. */
  async close(): Promise<void> {
    await this.watcher.close();
  }
}

import type { ClickHouseClient } from '@clickhouse/client';
import type { Clock } from '../../application/ports/clock.js';
import type { EventPublisher } from '../../application/ports/event-publisher.js';
import type { Logger } from '../../application/ports/logger.js';
import type { DomainEvent } from '../../domain/shared/domain-event.js';
import { AnalyticsError, describeFailure } from './clickhouse-errors.js';
import { projectEvents } from './clickhouse-event-rows.js';
import { CLICKHOUSE_TABLES } from './clickhouse-migrations.js';
import { tableRef } from './clickhouse-sql.js';

export interface ClickHouseProjectionOptions {
  readonly database: string;
  /** Rows per INSERT; a larger publish is split into several. */
  readonly batchSize: number;
}

/**
 * The analytics projection, fed by the outbox relay like any other subscriber. Each publish writes
 * its batch before resolving (one INSERT per table, or more when it exceeds batchSize), so "resolved"
 * means "stored". It does not buffer across calls: the relay awaits each publish before claiming the
 * next batch, so a timed buffer would only add its interval to every batch, while the relay already
 * claims bigger batches when events arrive faster than ClickHouse accepts them.
 * A failed INSERT rejects the publish and the relay redelivers the whole batch; rows already stored
 * collapse with their duplicates (ReplacingMergeTree on event id / execution id).
 */
export class ClickHouseProjection implements EventPublisher {
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly events: string;
  private readonly toolExecutions: string;
  private readonly executions: string;
  private readonly conversationTurns: string;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly options: ClickHouseProjectionOptions,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {
    if (!Number.isSafeInteger(options.batchSize) || options.batchSize < 1) throw new RangeError('batchSize must be a positive integer');
    this.events = tableRef(options.database, CLICKHOUSE_TABLES.events);
    this.toolExecutions = tableRef(options.database, CLICKHOUSE_TABLES.toolExecutions);
    this.executions = tableRef(options.database, CLICKHOUSE_TABLES.executions);
    this.conversationTurns = tableRef(options.database, CLICKHOUSE_TABLES.conversationTurns);
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    if (this.closed) throw new AnalyticsError('analytics.closed', 'ClickHouse projection is closed; the batch was not stored');
    if (events.length === 0) return;
    const write = this.write(events);
    this.inFlight.add(write);
    try {
      await write;
    } finally {
      this.inFlight.delete(write);
    }
  }

  /** Refuses new batches and waits for those being written; the client is closed by its owner. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private async write(events: readonly DomainEvent[]): Promise<void> {
    const rows = projectEvents(events, this.clock.now());
    for (const skipped of rows.skipped) {
      this.logger.warn('event not projected into ClickHouse', { eventId: skipped.id, type: skipped.type, reason: skipped.reason });
    }
    await this.insert(this.events, rows.events);
    await this.insert(this.toolExecutions, rows.toolExecutions);
    await this.insert(this.executions, rows.executionDecisions);
    await this.insert(this.conversationTurns, rows.conversationTurns);
  }

  private async insert(table: string, rows: readonly object[]): Promise<void> {
    for (let start = 0; start < rows.length; start += this.options.batchSize) {
      const chunk = rows.slice(start, start + this.options.batchSize);
      try {
        await this.client.insert({ table, values: chunk, format: 'JSONEachRow' });
      } catch (error) {
        throw new AnalyticsError('analytics.write_failed', `ClickHouse insert of ${chunk.length} row(s) into ${table} failed: ${describeFailure(error)}`, { cause: error });
      }
    }
  }
}

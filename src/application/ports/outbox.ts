import type { DomainEvent } from '../../domain/shared/domain-event.js';
import type { OutboxBacklog } from './metrics.js';

export interface OutboxEntry {
  readonly event: DomainEvent;
  attempts: number;
}

/**
 * Events leave the process only through the outbox. Repositories append in the same step (or SQL
 * transaction) that saves state; a relay claims, publishes and acknowledges.
 */
export interface Outbox {
  append(events: readonly DomainEvent[]): Promise<void>;
  /** Claims up to `limit` unpublished entries for this relay. */
  claim(limit: number): Promise<OutboxEntry[]>;
  markPublished(ids: readonly string[]): Promise<void>;
  /** Returns entries to the queue after a failed publish; parks them after `maxAttempts`. */
  release(ids: readonly string[], error: string, maxAttempts: number): Promise<{ parked: string[] }>;
  /** Called when new entries were appended (a cheap wake-up for the relay). */
  onAppend(listener: () => void): void;
  pending(): Promise<number>;
  /** What waits and for how long (the outbox-lag gauges), read at scrape time. */
  backlog(): Promise<OutboxBacklog>;
}

import type { DomainEvent } from '../../domain/shared/domain-event.js';
import { isTransientPublishFailure, type EventPublisher } from '../ports/event-publisher.js';

/**
 * One outbox, several destinations (NATS for subscribers, the ClickHouse projection, in-process
 * listeners). A batch counts as published only when every destination accepted it; when one fails,
 * the relay retries the whole batch, so every destination must be idempotent on event id
 * (JetStream dedupes by Nats-Msg-Id, the projection is a ReplacingMergeTree keyed by event id).
 */
export class CompositeEventPublisher implements EventPublisher {
  constructor(private readonly destinations: readonly EventPublisher[]) {}

  async publish(events: readonly DomainEvent[]): Promise<void> {
    const results = await Promise.allSettled(this.destinations.map((destination) => destination.publish(events)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) {
      const reasons = failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason)));
      const error = new Error(`${failures.length} of ${this.destinations.length} event destinations failed: ${reasons.join('; ')}`);
      // Transient only if every failure was: one real rejection is enough to count toward parking.
      throw Object.assign(error, { transient: failures.every((f) => isTransientPublishFailure(f.reason)) });
    }
  }
}

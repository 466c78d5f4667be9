import type { DomainEvent } from '../../domain/shared/domain-event.js';

/** Delivers events to subscribers outside the aggregate boundary; resolves only once they are accepted. */
export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<void>;
}

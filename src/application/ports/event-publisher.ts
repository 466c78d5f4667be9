import type { DomainEvent } from '../../domain/shared/domain-event.js';

/** Delivers events to subscribers outside the aggregate boundary; resolves only once they are accepted. */
export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<void>;
}

/**
 * A publish that failed because the destination cannot be reached right now (broker down, timeout).
 * The relay retries such failures without counting them toward parking: parking is for events the
 * destination rejects, not for outages, however long.
 */
export function isTransientPublishFailure(error: unknown): boolean {
  return (error as { transient?: unknown } | null)?.transient === true;
}

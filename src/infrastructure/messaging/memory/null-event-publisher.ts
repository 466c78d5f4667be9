import type { EventPublisher } from '../../../application/ports/event-publisher.js';

/** events.driver: none — events are drained from the outbox and dropped. */
export class NullEventPublisher implements EventPublisher {
  async publish(): Promise<void> {}
}

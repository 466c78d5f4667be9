import type { EventPublisher } from '../../../application/ports/event-publisher.js';
import type { DomainEvent } from '../../../domain/shared/domain-event.js';

export type EventListener = (event: DomainEvent) => void;

/** The embedded event bus: in-process subscribers plus a bounded ring of recent events. */
export class InMemoryEventPublisher implements EventPublisher {
  private readonly ring: DomainEvent[] = [];
  private next = 0;
  private readonly listeners = new Set<EventListener>();
  /** Recent event ids: a batch the relay retries is delivered once, as JetStream's dedupe does. */
  private readonly seen = new Set<string>();
  /** A fixed ring of the ids in `seen`, oldest overwritten first (Array.shift would copy on every call). */
  private readonly seenRing: (string | undefined)[];
  private seenNext = 0;
  published = 0;

  constructor(
    private readonly retention: number,
    dedupeWindow = 2_000,
  ) {
    this.seenRing = new Array<string | undefined>(Math.max(1, dedupeWindow));
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    for (const event of events) {
      if (this.seen.has(event.id)) continue;
      this.remember(event.id);
      this.published += 1;
      if (this.retention > 0) {
        this.ring[this.next] = event;
        this.next = (this.next + 1) % this.retention;
      }
      for (const listener of this.listeners) listener(event);
    }
  }

  private remember(id: string): void {
    const evicted = this.seenRing[this.seenNext];
    if (evicted !== undefined) this.seen.delete(evicted);
    this.seenRing[this.seenNext] = id;
    this.seenNext = (this.seenNext + 1) % this.seenRing.length;
    this.seen.add(id);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Oldest first. */
  recent(): DomainEvent[] {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)].filter(Boolean);
  }
}

import type { DomainEvent } from './domain-event.js';

/** Aggregates record facts as they change state; the repository pulls them on save. */
export abstract class AggregateRoot<TEvent extends DomainEvent = DomainEvent> {
  #pending: TEvent[] = [];

  protected record(event: TEvent): void {
    this.#pending.push(event);
  }

  /** Returns the recorded events and forgets them: called once, by the repository that saves. */
  pullEvents(): TEvent[] {
    const events = this.#pending;
    this.#pending = [];
    return events;
  }
}

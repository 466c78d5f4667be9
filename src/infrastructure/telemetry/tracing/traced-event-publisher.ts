import type { EventPublisher } from '../../../application/ports/event-publisher.js';
import type { DomainEvent } from '../../../domain/shared/domain-event.js';
import type { TraceContext, Tracer } from '../../../application/ports/tracer.js';

/**
 * The relay's publish as PRODUCER spans, one per event, each a child of the context the event
 * recorded when it happened (the request's span, through the outbox). The inner publisher gets the
 * events with `trace` set to their publish span, so the NATS headers it writes from `event.trace`
 * let a consumer hang its span under the publish, in the request's trace. Wrap only when tracing
 * is on: with it off the relay publishes the events as recorded.
 */
export class TracedEventPublisher implements EventPublisher {
  constructor(
    private readonly inner: EventPublisher,
    private readonly tracer: Tracer,
    /** `messaging.system` of the spans, e.g. `nats`. */
    private readonly destination: string,
  ) {}

  publish(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return this.inner.publish(events);
    return this.tracer.publish(events, this.destination, (contexts) => this.inner.publish(events.map((event, index) => withTrace(event, contexts[index]))));
  }
}

function withTrace(event: DomainEvent, trace: TraceContext | undefined): DomainEvent {
  return trace === undefined || trace.traceparent === event.trace?.traceparent ? event : { ...event, trace };
}

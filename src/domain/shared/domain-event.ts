/**
 * The envelope every domain event travels in, from aggregate to outbox to subscribers.
 * `type` and `version` are the public contract: a published payload is never changed in place;
 * a new shape gets a new version.
 */
export interface DomainEvent<TType extends string = string, TData = unknown> {
  readonly id: string;
  readonly type: TType;
  readonly version: number;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly sessionId?: string;
  /** W3C trace context of the request that caused the event, when its client sent one. */
  readonly trace?: EventTrace;
  readonly occurredAt: string;
  readonly data: TData;
}

export interface EventTrace {
  readonly traceparent: string;
  readonly tracestate?: string;
}

export interface EventMeta {
  readonly id: string;
  readonly occurredAt: Date;
}

export function domainEvent<TType extends string, TData>(
  aggregateType: string,
  aggregateId: string,
  type: TType,
  data: TData,
  meta: EventMeta,
  sessionId?: string,
  trace?: EventTrace,
): DomainEvent<TType, TData> {
  // Two literals rather than a conditional spread: every tool call records an event, and the
  // spread built and copied a throwaway object each time.
  const occurredAt = isoTimestamp(meta.occurredAt);
  if (trace !== undefined) {
    return sessionId === undefined
      ? { id: meta.id, type, version: 1, aggregateType, aggregateId, trace, occurredAt, data }
      : { id: meta.id, type, version: 1, aggregateType, aggregateId, sessionId, trace, occurredAt, data };
  }
  return sessionId === undefined
    ? { id: meta.id, type, version: 1, aggregateType, aggregateId, occurredAt, data }
    : { id: meta.id, type, version: 1, aggregateType, aggregateId, sessionId, occurredAt, data };
}

let lastMs = Number.NaN;
let lastIso = '';

/**
 * `date.toISOString()`, remembering the last one: events come in bursts within the same
 * millisecond (under load, dozens per millisecond), and formatting was a visible share of
 * recording one.
 */
export function isoTimestamp(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastMs) {
    lastIso = date.toISOString();
    lastMs = ms;
  }
  return lastIso;
}

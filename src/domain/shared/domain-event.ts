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
  /**
   * Who caused the event. Absent when nobody authenticated (a listener without auth): the
   * anonymous caller is not written on every event, so a server without auth stores and
   * publishes exactly what it did before principals existed.
   */
  readonly actor?: EventActor;
  readonly occurredAt: string;
  readonly data: TData;
}

export interface EventTrace {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** What an event records about its principal (see `actorOf`): never a credential or a grant. */
export interface EventActor {
  readonly id: string;
  readonly kind: string;
  readonly tenant?: string;
}

export interface EventMeta {
  readonly id: string;
  readonly occurredAt: Date;
  /**
   * The span active where the event happened (tracing on): wins over the request's own context, so
   * the event, its NATS message and a consumer's span hang under the server's span in the same trace.
   */
  readonly trace?: EventTrace;
}

export function domainEvent<TType extends string, TData>(
  aggregateType: string,
  aggregateId: string,
  type: TType,
  data: TData,
  meta: EventMeta,
  sessionId?: string,
  trace?: EventTrace,
  actor?: EventActor,
): DomainEvent<TType, TData> {
  // Literals rather than a conditional spread: every tool call records an event, and the
  // spread built and copied a throwaway object each time.
  const occurredAt = isoTimestamp(meta.occurredAt);
  if (meta.trace !== undefined) trace = meta.trace;
  if (actor !== undefined) return withActor(aggregateType, aggregateId, type, data, meta.id, occurredAt, actor, sessionId, trace);
  if (trace !== undefined) {
    return sessionId === undefined
      ? { id: meta.id, type, version: 1, aggregateType, aggregateId, trace, occurredAt, data }
      : { id: meta.id, type, version: 1, aggregateType, aggregateId, sessionId, trace, occurredAt, data };
  }
  return sessionId === undefined
    ? { id: meta.id, type, version: 1, aggregateType, aggregateId, occurredAt, data }
    : { id: meta.id, type, version: 1, aggregateType, aggregateId, sessionId, occurredAt, data };
}

function withActor<TType extends string, TData>(
  aggregateType: string,
  aggregateId: string,
  type: TType,
  data: TData,
  id: string,
  occurredAt: string,
  actor: EventActor,
  sessionId?: string,
  trace?: EventTrace,
): DomainEvent<TType, TData> {
  if (trace !== undefined) {
    return sessionId === undefined
      ? { id, type, version: 1, aggregateType, aggregateId, trace, actor, occurredAt, data }
      : { id, type, version: 1, aggregateType, aggregateId, sessionId, trace, actor, occurredAt, data };
  }
  return sessionId === undefined
    ? { id, type, version: 1, aggregateType, aggregateId, actor, occurredAt, data }
    : { id, type, version: 1, aggregateType, aggregateId, sessionId, actor, occurredAt, data };
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

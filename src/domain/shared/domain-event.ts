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
  readonly occurredAt: string;
  readonly data: TData;
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
): DomainEvent<TType, TData> {
  return {
    id: meta.id,
    type,
    version: 1,
    aggregateType,
    aggregateId,
    ...(sessionId !== undefined ? { sessionId } : {}),
    occurredAt: meta.occurredAt.toISOString(),
    data,
  };
}

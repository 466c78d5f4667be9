import { headers as natsHeaders, type MsgHdrs } from 'nats';
import { z } from 'zod';
import type { DomainEvent, EventActor } from '../../../domain/shared/domain-event.js';
import { setTraceHeaders } from '../../telemetry/tracing/trace-headers.js';
import { NatsAdapterError } from './nats-errors.js';

/**
 * The wire form of a domain event: the public contract documented in docs/events.md.
 * Fields are only ever added (optional); none is renamed, retyped or removed. `data` is the
 * event's payload exactly as the domain defines it for (`type`, `version`).
 */
export interface EventEnvelope {
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly source: string;
  readonly occurred_at: string;
  readonly aggregate_type: string;
  readonly aggregate_id: string;
  readonly session_id?: string;
  readonly correlation_id?: string;
  /** Who caused the event (absent for anonymous callers and the server itself): never a credential or a grant. */
  readonly actor?: EventActor;
  readonly data: unknown;
}

export const EVENT_HEADERS = {
  msgId: 'Nats-Msg-Id',
  contentType: 'Content-Type',
  type: 'Tfo-Event-Type',
  version: 'Tfo-Event-Version',
} as const;

/** Conservative NATS subject token: no `.`, `*`, `>` or whitespace, and nothing a shell would mangle. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * `${prefix}.${type}.v${version}`: `session.initialized` v1 → `tfo.mcp.session.initialized.v1`.
 * The subject comes from the event type, not the aggregate type, so a consumer subscribes to the
 * facts it knows by name (`tool.executed` is recorded by the `tool_execution` aggregate).
 */
export function subjectFor(prefix: string, type: string, version: number): string {
  const tokens = type.split('.');
  if (!tokens.every((token) => TOKEN.test(token))) {
    throw new NatsAdapterError('nats.invalid_event', `event type "${type}" is not a dot-separated list of [A-Za-z0-9_-] tokens`);
  }
  if (!Number.isInteger(version) || version < 1) {
    throw new NatsAdapterError('nats.invalid_event', `event ${type} has version ${version}; versions are integers from 1`);
  }
  return `${prefix}.${type}.v${version}`;
}

export function toEnvelope(event: DomainEvent, source: string): EventEnvelope {
  return {
    id: event.id,
    type: event.type,
    version: event.version,
    source,
    occurred_at: event.occurredAt,
    aggregate_type: event.aggregateType,
    aggregate_id: event.aggregateId,
    ...(event.sessionId !== undefined ? { session_id: event.sessionId } : {}),
    ...(event.actor !== undefined ? { actor: event.actor } : {}),
    data: event.data,
  };
}

export function envelopeHeaders(event: DomainEvent): MsgHdrs {
  const h = natsHeaders();
  h.set(EVENT_HEADERS.contentType, 'application/json');
  h.set(EVENT_HEADERS.type, event.type);
  h.set(EVENT_HEADERS.version, String(event.version));
  // W3C trace context of the request that caused the event, so a consumer can continue its trace.
  setTraceHeaders(h, event.trace);
  // Nats-Msg-Id is set by js.publish from `msgID`.
  return h;
}

const envelopeSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  version: z.number().int().min(1),
  source: z.string().min(1),
  occurred_at: z.string().min(1),
  aggregate_type: z.string().min(1),
  aggregate_id: z.string().min(1),
  session_id: z.string().optional(),
  correlation_id: z.string().optional(),
  actor: z.object({ id: z.string().min(1), kind: z.string().min(1), tenant: z.string().optional() }).optional(),
  data: z.unknown().refine((value) => value !== undefined, 'is required'),
});

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function encodeEnvelope(envelope: EventEnvelope): Uint8Array {
  return encoder.encode(JSON.stringify(envelope));
}

/** Parses and checks a message body; unknown fields are kept (consumers must tolerate additions). */
export function decodeEnvelope(body: Uint8Array): EventEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(body));
  } catch (cause) {
    throw new NatsAdapterError('nats.invalid_event', 'message body is not JSON', { cause });
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new NatsAdapterError('nats.invalid_event', `not a tfo-mcp event envelope: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim());
  }
  return parsed.data as EventEnvelope;
}

/** The envelope back as the internal event (the `source` is dropped): used by tests and in-process consumers. */
export function fromEnvelope(envelope: EventEnvelope): DomainEvent {
  return {
    id: envelope.id,
    type: envelope.type,
    version: envelope.version,
    aggregateType: envelope.aggregate_type,
    aggregateId: envelope.aggregate_id,
    ...(envelope.session_id !== undefined ? { sessionId: envelope.session_id } : {}),
    ...(envelope.actor !== undefined ? { actor: envelope.actor } : {}),
    occurredAt: envelope.occurred_at,
    data: envelope.data,
  };
}

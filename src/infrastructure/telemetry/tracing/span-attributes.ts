import type { Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace';

/**
 * What may leave the process in a span. An allow-list, not a deny-list: an instrumentation upgrade
 * that starts recording a URL with its query, a header or an argument adds nothing here until
 * someone names the key. The ones named hold no secret and no file content: SQL text is always
 * parameterised in this code base (values travel as bind parameters, never recorded), Redis
 * query text is reduced to the command name where the span is made, and URLs keep host and path
 * only. Exception events keep the type; messages and stacks may quote data, so they go.
 */
export const ALLOWED_SPAN_ATTRIBUTES: ReadonlySet<string> = new Set([
  // our spans (tracer.ts)
  'mcp.method.name',
  'mcp.protocol.version',
  'network.transport',
  'gen_ai.operation.name',
  'gen_ai.tool.name',
  'rpc.jsonrpc.error_code',
  'error.type',
  'tfo.message.name',
  'tfo.tool.outcome',
  'tfo.executor.backend',
  'tfo.execution.exit_code',
  'tfo.execution.timed_out',
  'tfo.event.type',
  'messaging.system',
  'messaging.operation.type',
  'messaging.operation.name',
  'messaging.destination.name',
  'messaging.message.id',
  // pg and ioredis (stable database conventions; for Redis the query text is the command name
  // only, see client-instrumentation.ts)
  'db.system.name',
  'db.namespace',
  'db.operation.name',
  'db.query.text',
  // http client (@clickhouse/client, anything else over node:http)
  'http.request.method',
  'http.response.status_code',
  'url.scheme',
  'url.path',
  'network.protocol.version',
  'server.address',
  'server.port',
]);

const ALLOWED_EVENT_ATTRIBUTES: ReadonlySet<string> = new Set(['exception.type']);

export function allowedAttributes(attributes: Attributes, allowed: ReadonlySet<string> = ALLOWED_SPAN_ATTRIBUTES): Attributes {
  const kept: Attributes = {};
  for (const key of Object.keys(attributes)) {
    if (allowed.has(key)) kept[key] = attributes[key];
  }
  return kept;
}

function allowedEvent(event: TimedEvent): TimedEvent {
  return event.attributes === undefined ? event : { ...event, attributes: allowedAttributes(event.attributes, ALLOWED_EVENT_ATTRIBUTES) };
}

/**
 * The span as the exporter will see it: allow-listed attributes (span, events, links), and the
 * status without its message (instrumentations copy an error's message there). A plain object
 * rather than a mutation, since the span may still be read by other processors.
 */
export function allowListed(span: ReadableSpan): ReadableSpan {
  const spanContext = span.spanContext();
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => spanContext,
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code },
    attributes: allowedAttributes(span.attributes),
    links: span.links.map((link) => (link.attributes === undefined ? link : { ...link, attributes: allowedAttributes(link.attributes) })),
    events: span.events.map(allowedEvent),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Wraps the OTLP exporter so nothing reaches it that the allow-list does not name. */
export class AllowListSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(allowListed), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

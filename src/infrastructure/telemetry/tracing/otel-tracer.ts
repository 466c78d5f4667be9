import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer as OtelApiTracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { traceContextOf } from './trace-headers.js';
import type { ActiveSpan, LogTraceFields, PublishedEvent, RequestSpanInfo, TraceContext, Tracer } from '../../../application/ports/tracer.js';

// Span names must stay few: a client-chosen method or an unexpected event type must not mint new ones.
const METHOD = /^[a-z][A-Za-z_/]{0,63}$/;
const NAME = /^[A-Za-z0-9_.:/-]{1,128}$/;
const ERROR_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

const TRANSPORT: Record<RequestSpanInfo['transport'], string> = { stdio: 'pipe', http: 'tcp', sse: 'tcp', memory: 'inproc' };

const getter = {
  keys: (carrier: TraceContext) => Object.keys(carrier),
  get: (carrier: TraceContext, key: string) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
};

/** A bounded name for a failure: the error's `code` when it has a usable one, else its class name. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ERROR_CODE.test(code)) return code;
  if (error instanceof Error) return NAME.test(error.name) ? error.name : 'Error';
  return 'unknown';
}

class SpanAdapter implements ActiveSpan {
  constructor(private readonly span: Span) {}

  setAttribute(key: string, value: string | number | boolean): void {
    this.span.setAttribute(key, value);
  }

  fail(error: unknown): void {
    this.span.setAttribute('error.type', errorType(error));
    this.span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

/** The facade over the OpenTelemetry API; the provider, sampler and exporter are set up in start-tracing.ts. */
export class OtelTracer implements Tracer {
  readonly enabled = true;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(private readonly tracer: OtelApiTracer) {}

  request<T>(info: RequestSpanInfo, run: (span: ActiveSpan) => Promise<T>): Promise<T> {
    const attributes: Attributes = {
      'mcp.method.name': METHOD.test(info.method) ? info.method : 'unknown',
      'network.transport': TRANSPORT[info.transport],
    };
    if (info.protocolVersion !== undefined && NAME.test(info.protocolVersion)) attributes['mcp.protocol.version'] = info.protocolVersion;
    if (info.toolName !== undefined && NAME.test(info.toolName)) {
      attributes['gen_ai.tool.name'] = info.toolName;
      attributes['gen_ai.operation.name'] = 'execute_tool';
    }
    const meta = info.meta && traceContextOf(info.meta.traceparent, info.meta.tracestate);
    const header = info.header && traceContextOf(info.header.traceparent, info.header.tracestate);
    // A request is never the child of whatever happens to be active (a previous request's stream
    // callback, say): its parent is what the client sent, or nothing.
    const parent = this.extract(meta ?? header);
    const links = meta && header && meta.traceparent !== header.traceparent ? [this.link(header)] : undefined;
    return this.run(attributes['mcp.method.name'] as string, SpanKind.SERVER, parent, attributes, run, links);
  }

  handler<T>(message: string, run: (span: ActiveSpan) => Promise<T>): Promise<T> {
    const name = NAME.test(message) ? message : 'handler';
    return this.run(name, SpanKind.INTERNAL, context.active(), { 'tfo.message.name': name }, run);
  }

  toolRun<T>(tool: string, run: (span: ActiveSpan) => Promise<T>): Promise<T> {
    const name = NAME.test(tool) ? tool : 'unknown';
    return this.run(`tool ${name}`, SpanKind.INTERNAL, context.active(), { 'gen_ai.tool.name': name, 'gen_ai.operation.name': 'execute_tool' }, run);
  }

  executorRun<T>(backend: string, run: (span: ActiveSpan) => Promise<T>): Promise<T> {
    const name = NAME.test(backend) ? backend : 'unknown';
    return this.run(`execute ${name}`, SpanKind.INTERNAL, context.active(), { 'tfo.executor.backend': name }, run);
  }

  publish<T>(events: readonly PublishedEvent[], destination: string, run: (contexts: readonly (TraceContext | undefined)[]) => Promise<T>): Promise<T> {
    const spans = events.map((event) => this.startPublish(event, destination));
    const contexts = spans.map((span) => this.serialize(span.spanContext()));
    // Client spans under the publish (a ClickHouse insert, say) belong to one trace only when the
    // whole batch does; a batch mixing traces runs them unparented (and so, untraced).
    const first = spans[0]?.spanContext().traceId;
    const oneTrace = first !== undefined && spans.every((span) => span.spanContext().traceId === first);
    const active = oneTrace ? trace.setSpan(ROOT_CONTEXT, spans[spans.length - 1]) : ROOT_CONTEXT;
    return context.with(active, () => run(contexts)).then(
      (value) => {
        for (const span of spans) span.end();
        return value;
      },
      (error: unknown) => {
        const type = errorType(error);
        for (const span of spans) {
          span.setAttribute('error.type', type);
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
        throw error;
      },
    );
  }

  consume<T>(subject: string, parent: TraceContext | undefined, run: (span: ActiveSpan) => Promise<T>): Promise<T> {
    const name = NAME.test(subject) ? subject : 'unknown';
    const attributes = { 'messaging.destination.name': name, 'messaging.operation.type': 'process', 'messaging.operation.name': 'process' };
    return this.run(`process ${name}`, SpanKind.CONSUMER, this.extract(parent && traceContextOf(parent.traceparent, parent.tracestate)), attributes, run);
  }

  current(): TraceContext | undefined {
    const span = trace.getSpan(context.active());
    return span === undefined ? undefined : this.serialize(span.spanContext());
  }

  logFields(): LogTraceFields | undefined {
    const span = trace.getSpan(context.active());
    if (span === undefined) return undefined;
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  }

  private async run<T>(
    name: string,
    kind: SpanKind,
    parent: Context,
    attributes: Attributes,
    run: (span: ActiveSpan) => Promise<T>,
    links?: Link[],
  ): Promise<T> {
    const span = this.tracer.startSpan(name, links ? { kind, attributes, links } : { kind, attributes }, parent);
    const active = new SpanAdapter(span);
    try {
      return await context.with(trace.setSpan(parent, span), run, undefined, active);
    } catch (error) {
      active.fail(error);
      throw error;
    } finally {
      span.end();
    }
  }

  private startPublish(event: PublishedEvent, destination: string): Span {
    const type = NAME.test(event.type) ? event.type : 'event';
    const parent = this.extract(event.trace && traceContextOf(event.trace.traceparent, event.trace.tracestate));
    return this.tracer.startSpan(
      `publish ${type}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': NAME.test(destination) ? destination : 'unknown',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'publish',
          'messaging.message.id': event.id,
          'tfo.event.type': type,
        },
      },
      parent,
    );
  }

  private extract(carrier: TraceContext | undefined): Context {
    return carrier === undefined ? ROOT_CONTEXT : this.propagator.extract(ROOT_CONTEXT, carrier, getter);
  }

  private link(carrier: TraceContext): Link {
    return { context: trace.getSpanContext(this.extract(carrier)) as SpanContext };
  }

  private serialize(spanContext: SpanContext): TraceContext | undefined {
    if (!trace.isSpanContextValid(spanContext)) return undefined;
    const traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${(spanContext.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
    const tracestate = spanContext.traceState?.serialize();
    return tracestate ? { traceparent, tracestate } : { traceparent };
  }
}

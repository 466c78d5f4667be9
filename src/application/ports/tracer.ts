/**
 * Port: the tracing facade the request path calls (presentation and application, which may not
 * import infrastructure). It imports nothing, so a server with tracing off loads no OpenTelemetry
 * code at all: it gets `NO_TRACING`, whose helpers call their callback and nothing else.
 *
 * Span names are bounded (a method, a handler class, a tool, a backend, an event type), and every
 * attribute passes an allow-list at export, so what a helper is given never leaks into a span.
 */

/** W3C trace context as `traceparent`/`tracestate` carry it: HTTP headers, `_meta`, NATS headers, event metadata. */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

export type SpanAttributeValue = string | number | boolean;

/** The span a helper runs its callback in. */
export interface ActiveSpan {
  /** Keys outside the allow-list (span-attributes.ts) are dropped at export. */
  setAttribute(key: string, value: SpanAttributeValue): void;
  /** Marks the span failed with a bounded `error.type` (the error's `code`, else its class name); never its message. */
  fail(error: unknown): void;
}

/** Where an MCP request's trace context came from; `_meta` (SEP-414, 2026-07-28) wins over the HTTP header. */
export interface RequestSpanInfo {
  /** JSON-RPC method; anything not shaped like one is named `unknown`. */
  readonly method: string;
  readonly transport: 'stdio' | 'http' | 'sse' | 'memory';
  /** `params._meta.traceparent`/`tracestate`, when the client sent them. */
  readonly meta?: TraceContext;
  /** The `traceparent`/`tracestate` HTTP headers, as read (validated here). */
  readonly header?: { readonly traceparent?: string; readonly tracestate?: string };
  /** `params.name` of a tools/call. */
  readonly toolName?: string;
  readonly protocolVersion?: string;
}

/** What a domain event tells the relay about itself. */
export interface PublishedEvent {
  readonly id: string;
  readonly type: string;
  readonly trace?: TraceContext;
}

export interface Tracer {
  readonly enabled: boolean;
  /** One SERVER span per MCP request, a child of the client's context when it sent one. */
  request<T>(info: RequestSpanInfo, run: (span: ActiveSpan) => Promise<T>): Promise<T>;
  /** A command or query handler, by message class name. */
  handler<T>(message: string, run: (span: ActiveSpan) => Promise<T>): Promise<T>;
  /** One tool's run, by registered tool name. */
  toolRun<T>(tool: string, run: (span: ActiveSpan) => Promise<T>): Promise<T>;
  /** One execution on a backend (native, docker, ssh, host_agent). */
  executorRun<T>(backend: string, run: (span: ActiveSpan) => Promise<T>): Promise<T>;
  /**
   * One PRODUCER span per event of a batch the relay publishes, each a child of the context its
   * event recorded. `run` gets each span's own context (same order as `events`): that is what the
   * message should carry (NATS headers), so a consumer's span hangs under the publish.
   */
  publish<T>(events: readonly PublishedEvent[], destination: string, run: (contexts: readonly (TraceContext | undefined)[]) => Promise<T>): Promise<T>;
  /** A CONSUMER span continuing the trace a message carried (see traceFromHeaders). */
  consume<T>(subject: string, parent: TraceContext | undefined, run: (span: ActiveSpan) => Promise<T>): Promise<T>;
  /** The active span as W3C context, for a domain event's `trace` metadata. */
  current(): TraceContext | undefined;
  /** `trace_id`/`span_id` of the active span, for a log line. */
  logFields(): LogTraceFields | undefined;
}

export interface LogTraceFields {
  readonly trace_id: string;
  readonly span_id: string;
}

export const NO_SPAN: ActiveSpan = {
  setAttribute: () => undefined,
  fail: () => undefined,
};

/** Tracing off: each helper is one call of its callback. */
export const NO_TRACING: Tracer = {
  enabled: false,
  request: (_info, run) => run(NO_SPAN),
  handler: (_message, run) => run(NO_SPAN),
  toolRun: (_tool, run) => run(NO_SPAN),
  executorRun: (_backend, run) => run(NO_SPAN),
  publish: (events, _destination, run) => run(events.map((event) => event.trace)),
  consume: (_subject, _parent, run) => run(NO_SPAN),
  current: () => undefined,
  logFields: () => undefined,
};

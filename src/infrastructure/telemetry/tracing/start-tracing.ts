import { randomUUID } from 'node:crypto';
import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from '../../../application/ports/logger.js';
import { instrumentClients, type InstrumentedClient } from './client-instrumentation.js';
import { OtelTracer } from './otel-tracer.js';
import type { OtlpConfig } from './otlp.schema.js';
import { AllowListSpanExporter } from './span-attributes.js';
import { tracesUrl } from './traces-url.js';
import type { Tracer } from '../../../application/ports/tracer.js';

/**
 * Sets up the OpenTelemetry SDK for `telemetry.otlp`. The composition root imports this module
 * dynamically and only when the section is configured, so a server without it loads none of the
 * SDK (see the import-cost figures in the issue-15 report).
 */
export interface TracingOptions {
  readonly otlp: OtlpConfig;
  /** `service.version` when `otlp.service_version` is not set: the server's own version. */
  readonly serverVersion: string;
  /** `service.instance.id`: one per process by default, so three replicas stay apart. */
  readonly instanceId?: string;
  /** The client libraries this configuration uses (pg only with Postgres, and so on). */
  readonly clients: readonly InstrumentedClient[];
  /** Where export failures are reported (one line per minute at most while the collector is down). */
  readonly logger: Logger;
}

export interface Tracing {
  readonly tracer: Tracer;
  /** Exports what has ended (tests; before a planned exit). */
  forceFlush(): Promise<void>;
  /** Exports what is left, removes the client patches and the global registrations. */
  shutdown(): Promise<void>;
}

const WARN_EVERY_MS = 60_000;

/**
 * The exporter packages are CommonJS. Through import(), Node offers their named exports and
 * `default`; an esbuild chunk (the shipped bundle) offers `default` only, so `default` it is.
 */
async function otlpExporter(otlp: OtlpConfig): Promise<SpanExporter> {
  const options = { url: tracesUrl(otlp.endpoint), timeoutMillis: otlp.timeout_ms };
  if (otlp.protocol === 'http/json') {
    const { OTLPTraceExporter } = (await import('@opentelemetry/exporter-trace-otlp-http')).default;
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } = (await import('@opentelemetry/exporter-trace-otlp-proto')).default;
  return new OTLPTraceExporter(options);
}

/** A collector outage must neither flood the log nor go unseen. */
function throttledWarning(logger: Logger, endpoint: string): (error: unknown) => void {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < WARN_EVERY_MS) {
      suppressed += 1;
      return;
    }
    last = now;
    logger.warn('trace export failed; spans are dropped while the collector is unreachable', {
      endpoint,
      error: error instanceof Error ? error.message : String(error),
      ...(suppressed > 0 ? { suppressed } : {}),
    });
    suppressed = 0;
  };
}

export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const { otlp } = options;
  const exporter = new AllowListSpanExporter(await otlpExporter(otlp));
  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': otlp.service_name,
        'service.version': otlp.service_version ?? options.serverVersion,
        'service.instance.id': options.instanceId ?? randomUUID(),
      }),
    ),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(otlp.sampling_ratio) }),
    spanLimits: { attributeValueLengthLimit: 1024, attributeCountLimit: 64, eventCountLimit: 16, linkCountLimit: 16 },
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: otlp.batch_delay_ms,
        maxQueueSize: otlp.max_queue_size,
        // A flush sends the whole queue at once, and the exporter refuses more than 30 requests in
        // flight: at most 16 batches however large the queue.
        maxExportBatchSize: Math.max(Math.min(512, otlp.max_queue_size), Math.ceil(otlp.max_queue_size / 16)),
        exportTimeoutMillis: otlp.timeout_ms,
      }),
    ],
  });

  const warn = throttledWarning(options.logger, tracesUrl(otlp.endpoint));
  setGlobalErrorHandler(warn);
  diag.setLogger({ error: (message) => warn(message), warn: () => undefined, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.ERROR);
  const unregister = (): void => {
    trace.disable();
    propagation.disable();
    context.disable();
    diag.disable();
  };
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const registered = [
    context.setGlobalContextManager(contextManager),
    trace.setGlobalTracerProvider(provider),
    propagation.setGlobalPropagator(new W3CTraceContextPropagator()),
  ];
  if (registered.includes(false)) {
    contextManager.disable();
    await provider.shutdown();
    throw new Error('OpenTelemetry is already registered in this process (tracing started twice?)');
  }
  let unpatch: () => void;
  try {
    unpatch = await instrumentClients(options.clients, provider);
  } catch (error) {
    unregister();
    await provider.shutdown();
    throw error;
  }
  const tracer = new OtelTracer(provider.getTracer('tfo-mcp', options.serverVersion));

  return {
    tracer,
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      unpatch();
      await provider.shutdown();
      unregister();
    },
  };
}

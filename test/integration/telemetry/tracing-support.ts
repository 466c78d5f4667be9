import { RecordingLogger } from '../../support/builders.js';
import type { OtlpReceiver, ReceivedSpan } from '../../support/otlp-receiver.js';
import type { InstrumentedClient } from '../../../src/infrastructure/telemetry/tracing/client-instrumentation.js';
import { otlpSchema, type OtlpConfig } from '../../../src/infrastructure/telemetry/tracing/otlp.schema.js';
import { startTracing, type Tracing } from '../../../src/infrastructure/telemetry/tracing/start-tracing.js';

export interface TestTracing extends Tracing {
  readonly logger: RecordingLogger;
}

/** The SDK as the server sets it up, exporting to `receiver` in short batches. */
export async function startTestTracing(
  receiver: OtlpReceiver,
  otlp: Partial<Omit<OtlpConfig, 'endpoint'>> = {},
  clients: readonly InstrumentedClient[] = ['http'],
): Promise<TestTracing> {
  const logger = new RecordingLogger();
  const tracing = await startTracing({
    otlp: otlpSchema.parse({ endpoint: receiver.endpoint, batch_delay_ms: 20, timeout_ms: 2_000, ...otlp }),
    serverVersion: '9.9.9-test',
    instanceId: 'replica-a',
    clients,
    logger,
  });
  return { ...tracing, logger };
}

export function byName(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((span) => span.name === name);
  if (found.length !== 1) throw new Error(`expected one span named ${name}, got ${found.length} of: ${spans.map((s) => s.name).join(', ')}`);
  return found[0];
}

/** Every string a span exports (name, attributes, events, links, status, trace state), for leak checks. */
export function exportedText(spans: readonly ReceivedSpan[]): string {
  return JSON.stringify(spans, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

export const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
export const CLIENT_SPAN = '00f067aa0ba902b7';
export const CLIENT_PARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;

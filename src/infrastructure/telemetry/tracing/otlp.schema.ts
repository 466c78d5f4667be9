import { z } from 'zod';
import { int } from '../../config/config-values.js';

/**
 * `telemetry.otlp`: where traces go. The section's presence turns tracing on (the telemetry schema
 * includes it as optional); without it the OpenTelemetry SDK is never loaded.
 *
 * `endpoint` is the collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT is: `/v1/traces` is
 * appended unless the URL already ends with it. Credentials in the URL are refused, because URLs
 * are logged; a collector that needs them belongs behind a local agent.
 */
function endpointProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected an http:// or https:// URL, e.g. http://127.0.0.1:4318';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http:// or https:// URL (OTLP over HTTP)';
  if (url.username !== '' || url.password !== '') return 'credentials in the URL are not accepted (the endpoint is logged)';
  return undefined;
}

/** The section's schema, built on its first parse (z.lazy): a server without `telemetry.otlp` never builds it. */
export const otlpSchema = z.lazy(buildOtlpSchema);

function buildOtlpSchema() {
  const endpoint = z.string().check((ctx) => {
    const problem = endpointProblem(ctx.value);
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

  /** A fraction of new traces to keep, 0–1; a caller's sampled `traceparent` is kept whatever the ratio (parent-based). */
  const ratio = z.coerce
    .number({ error: 'expected a sampling ratio between 0 and 1' })
    .min(0, { error: 'expected a sampling ratio between 0 and 1' })
    .max(1, { error: 'expected a sampling ratio between 0 and 1' });

  return z
    .object({
      endpoint,
      protocol: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
      sampling_ratio: ratio.default(1),
      /** The `service.name` resource attribute. */
      service_name: z.string().min(1).max(255).default('tfo-mcp'),
      /** The `service.version` resource attribute; default: the server's own version. */
      service_version: z.string().min(1).max(255).optional(),
      /** Bound on one export request. */
      timeout_ms: int(100, 120_000).default(10_000),
      /** How long ended spans wait to be exported in one batch. */
      batch_delay_ms: int(10, 60_000).default(5_000),
      /** Ended spans kept while the collector is slow or down; beyond it new spans are dropped, never the server. */
      max_queue_size: int(64, 65_536).default(2_048),
    })
    .strict();
}

export type OtlpConfig = z.infer<typeof otlpSchema>;

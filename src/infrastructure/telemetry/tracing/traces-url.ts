/**
 * The traces URL from `telemetry.otlp.endpoint`, a base URL as OTEL_EXPORTER_OTLP_ENDPOINT is.
 * Apart from the schema so that start-tracing.ts does not load zod's schema module for it.
 */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

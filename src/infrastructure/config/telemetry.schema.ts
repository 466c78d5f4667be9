import { z } from 'zod';
import { otlpSchema, type OtlpConfig } from '../telemetry/tracing/otlp.schema.js';
import { ConfigError } from './config-error.js';
import { bool, int } from './config-values.js';
import type { ConfigDeprecation } from './config-deprecation.js';

/**
 * `telemetry`: Prometheus metrics and OpenTelemetry traces. Both are off by default, and then
 * neither prom-client nor the OpenTelemetry SDK is loaded.
 *
 * Metrics (`telemetry.metrics`), once enabled, are served:
 * - on the HTTP transport, at `path` on the MCP listener (Host/Origin checked as for /health), unless
 *   `port` is set: then only on that port, so scrapes can stay off a public MCP port;
 * - on `host:port` when `port` is set, whatever the transport: how a stdio deployment is scraped.
 */

/**
 * What a configuration without the section gets (metrics off, no traces), and the schema's defaults:
 * one set of values, so an absent section needs no schema (config.schema.ts, configSchemaFor). A unit
 * test holds `telemetryDefaults()` equal to what the schema makes of an empty section.
 */
const METRICS_DEFAULTS = { enabled: false, host: '127.0.0.1', path: '/metrics' } as const;

/** The section's schema, built on its first parse (z.lazy): see METRICS_DEFAULTS. */
export const telemetrySchema = z.lazy(buildTelemetrySchema);

function buildTelemetrySchema() {
  const metricsSchema = z
    .object({
      enabled: bool.default(METRICS_DEFAULTS.enabled),
      /** A listener of its own for scrapes; absent: none. 0 picks a free port (tests). */
      port: int(0, 65535, 'expected a port 1–65535 (or 0 for any free port)').optional(),
      /** Where `port` listens. Metrics carry no secrets, so any address may serve them (0.0.0.0 in a container). */
      host: z.string().min(1).default(METRICS_DEFAULTS.host),
      path: z
        .string()
        .regex(/^\/[A-Za-z0-9._~/-]{0,127}$/, { error: 'expected a URL path such as /metrics' })
        .default(METRICS_DEFAULTS.path),
    })
    .strict()
    .refine((metrics) => metrics.port === undefined || metrics.enabled, {
      path: ['port'],
      error: 'telemetry.metrics.port serves metrics only when telemetry.metrics.enabled is true: set it too, or remove the port',
    });

  return z
    .object({
      metrics: metricsSchema.prefault({}),
      /** Present: traces are exported there. Absent: the OpenTelemetry SDK is never loaded. */
      otlp: otlpSchema.optional(),
      /** Deprecated (one release): traces are on when telemetry.otlp is present. */
      enabled: bool.optional(),
      /** Deprecated (one release): telemetry.otlp.endpoint. */
      otlp_endpoint: z.string().url().optional(),
      /** Deprecated (one release): telemetry.otlp.service_name. */
      service_name: z.string().min(1).optional(),
    })
    .strict();
}

type ParsedTelemetry = z.infer<typeof telemetrySchema>;
/** The section once the deprecated keys have moved. */
export type TelemetryConfig = Omit<ParsedTelemetry, 'enabled' | 'otlp_endpoint' | 'service_name'>;
export type MetricsConfig = TelemetryConfig['metrics'];

/** `telemetry` as an empty section parses (nothing deprecated to move). */
export function telemetryDefaults(): TelemetryConfig {
  return { metrics: { ...METRICS_DEFAULTS } };
}

export interface MovedTelemetry {
  readonly telemetry: TelemetryConfig;
  readonly deprecations: ConfigDeprecation[];
}

/**
 * The seed's `telemetry.{enabled, otlp_endpoint, service_name}` still apply for one release, as the
 * `security` section did (execution-config.ts): an endpoint with `enabled` not false becomes
 * `telemetry.otlp`, the service name goes with it, and a key set in both places keeps the new value.
 * `raw` is the section as the operator wrote it (before defaults), to tell a set key from a default.
 */
export function moveDeprecatedTelemetry(parsed: ParsedTelemetry, raw: Readonly<Record<string, unknown>> | undefined): MovedTelemetry {
  const { enabled, otlp_endpoint: endpoint, service_name: serviceName, ...telemetry } = parsed;
  const deprecations: ConfigDeprecation[] = [];
  const otlpWasSet = telemetry.otlp !== undefined;
  let otlp: OtlpConfig | undefined = telemetry.otlp;
  if (enabled !== undefined) {
    deprecations.push({ key: 'telemetry.enabled', movedTo: 'telemetry.otlp (present: traces on; absent: off)', ignored: otlpWasSet });
  }
  if (endpoint !== undefined) {
    deprecations.push({ key: 'telemetry.otlp_endpoint', movedTo: 'telemetry.otlp.endpoint', ignored: otlpWasSet });
    if (!otlpWasSet && enabled !== false) otlp = movedOtlp(endpoint, serviceName);
  }
  if (serviceName !== undefined) {
    const rawOtlp = raw?.otlp;
    const newNameSet = otlpWasSet && rawOtlp !== null && typeof rawOtlp === 'object' && 'service_name' in rawOtlp;
    deprecations.push({ key: 'telemetry.service_name', movedTo: 'telemetry.otlp.service_name', ignored: newNameSet });
    if (otlpWasSet && !newNameSet && otlp !== undefined) otlp = { ...otlp, service_name: serviceName };
  }
  return { telemetry: { ...telemetry, ...(otlp !== undefined ? { otlp } : {}) }, deprecations };
}

/** The new section's rules apply to the old values (no credentials in the URL: it is logged). */
function movedOtlp(endpoint: string, serviceName: string | undefined): OtlpConfig {
  const parsed = otlpSchema.safeParse({ endpoint, ...(serviceName !== undefined ? { service_name: serviceName } : {}) });
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const key = issue.path[0] === 'service_name' ? 'telemetry.service_name' : 'telemetry.otlp_endpoint';
  throw new ConfigError(key, `${issue.message} (moving it to telemetry.otlp)`);
}

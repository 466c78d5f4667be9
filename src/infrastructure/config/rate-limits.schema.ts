import { z } from 'zod';
import { bool, int } from './config-values.js';

/**
 * `rate_limits`: how much one principal may ask for. Every bucket is per principal (an API key, an
 * OAuth subject, the local user), so one caller's flood never spends another's budget.
 *
 * A bucket holds `burst` calls and refills at its per-minute rate, in whole buckets: a caller may
 * send `burst` calls back to back, then waits until the bucket's window (burst ÷ rate minutes,
 * rounded to whole seconds) ends. The sustained rate never exceeds the per-minute figure; across a
 * window boundary up to twice `burst` may pass at once.
 */

/**
 * What a configuration without the section gets, and the schema's defaults: one set of values, so
 * an absent section needs no schema (config.schema.ts, configSchemaFor). A unit test holds
 * `rateLimitsDefaults()` equal to what the schema makes of an empty section.
 */
const RATE_LIMITS_DEFAULTS = {
  enabled: false,
  store: 'memory',
  fail_open: true,
  store_timeout_ms: 250,
  concurrency_lease_ms: 900_000,
  default: { requests_per_minute: 600, burst: 60, tool_calls_per_minute: 300, max_concurrent: 16 },
} as const;

/** The section's schema, built on its first parse (z.lazy): see RATE_LIMITS_DEFAULTS. */
export const rateLimitsSchema = z.lazy(buildRateLimitsSchema);

export type RateLimitsConfig = z.infer<typeof rateLimitsSchema>;

/** `rate_limits` as an empty section parses: limits off. */
export function rateLimitsDefaults(): RateLimitsConfig {
  return { ...RATE_LIMITS_DEFAULTS, default: { ...RATE_LIMITS_DEFAULTS.default }, classes: {}, tools: {} };
}

function buildRateLimitsSchema() {
  /** Calls per minute; 0 lifts the limit. */
  const perMinute = int(0, 1_000_000, 'expected calls per minute, 0–1000000 (0 = no limit)');
  /** Calls back to back; above the per-minute figure it counts as that figure (one-minute windows). */
  const burst = int(1, 1_000_000, 'expected a burst of 1–1000000 calls');
  /** Calls in flight at once; 0 lifts the limit. */
  const concurrent = int(0, 100_000, 'expected 0–100000 concurrent calls (0 = no limit)');

  const classKeys = {
    /** Every HTTP request (each JSON-RPC POST, each SSE GET), checked before the body is read. */
    requests_per_minute: perMinute,
    /** The bucket size of both the request and the tool-call bucket. */
    burst,
    /** tools/call requests, whatever the tool (on top of requests_per_minute). */
    tool_calls_per_minute: perMinute,
    /** Tool calls running at once, counted across every replica when the store is Redis. */
    max_concurrent: concurrent,
  } as const;

  /** The limits of principals without a `rate_limit_class`, and the values a class leaves out. */
  const defaultClassSchema = z
    .object({
      requests_per_minute: classKeys.requests_per_minute.default(RATE_LIMITS_DEFAULTS.default.requests_per_minute),
      burst: classKeys.burst.default(RATE_LIMITS_DEFAULTS.default.burst),
      tool_calls_per_minute: classKeys.tool_calls_per_minute.default(RATE_LIMITS_DEFAULTS.default.tool_calls_per_minute),
      max_concurrent: classKeys.max_concurrent.default(RATE_LIMITS_DEFAULTS.default.max_concurrent),
    })
    .strict();

  /** A named class (an API key's `rate_limit_class`): any of the default's keys; the others come from `default`. */
  const classSchema = z
    .object({
      requests_per_minute: classKeys.requests_per_minute.optional(),
      burst: classKeys.burst.optional(),
      tool_calls_per_minute: classKeys.tool_calls_per_minute.optional(),
      max_concurrent: classKeys.max_concurrent.optional(),
    })
    .strict();

  /** A bucket for one tool, per principal, whatever the principal's class (e.g. execute_command: 10 a minute). */
  const toolSchema = z
    .object({
      calls_per_minute: int(1, 1_000_000, 'expected calls per minute, 1–1000000'),
      /** Default: calls_per_minute (one-minute windows). */
      burst: burst.optional(),
    })
    .strict();

  /** Lower case, so that the environment form (TELEMETRYFLOW_MCP_RATE_LIMITS__CLASSES__<NAME>__…) can name it. */
  const className = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, {
    error: 'a rate limit class name is lower-case letters, digits, "_" and "-" (at most 64)',
  });
  const toolName = z.string().min(1).max(128);

  return z
    .object({
      /** Off by default: nothing is limited and the limiter is never loaded. */
      enabled: bool.default(RATE_LIMITS_DEFAULTS.enabled),
      /** `memory`: each replica counts alone. `redis`: one budget across replicas, through cache.redis (url, key_prefix). */
      store: z.enum(['memory', 'redis']).default(RATE_LIMITS_DEFAULTS.store),
      /**
       * When the Redis store fails or is slower than store_timeout_ms: true keeps serving, each replica
       * counting in its own memory until Redis answers again (one warning per outage); false refuses every
       * limited call with a retryable error naming `rate_limits.fail_open`.
       */
      fail_open: bool.default(RATE_LIMITS_DEFAULTS.fail_open),
      /** The longest a Redis round trip may hold up a request before it counts as a store failure. */
      store_timeout_ms: int(10, 10_000).default(RATE_LIMITS_DEFAULTS.store_timeout_ms),
      /** A concurrency slot not released within this (a replica that died mid-call) frees itself. Keep it above mcp.timeouts.tool_ms. */
      concurrency_lease_ms: int(1_000, 86_400_000).default(RATE_LIMITS_DEFAULTS.concurrency_lease_ms),
      default: defaultClassSchema.prefault({}),
      classes: z.record(className, classSchema).default({}),
      tools: z.record(toolName, toolSchema).default({}),
    })
    .strict();
}

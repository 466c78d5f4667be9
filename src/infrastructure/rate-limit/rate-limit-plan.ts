import type { RateLimitsConfig } from '../config/rate-limits.schema.js';

/**
 * One counter kind: `points` calls per `windowS` seconds, per principal. rate-limiter-flexible counts
 * in fixed windows of whole seconds (Redis expiries are seconds), so a bucket of `burst` at `perMinute`
 * becomes a window of burst ÷ rate minutes, rounded; `points` is then what the rate earns in that window.
 */
export interface BucketSpec {
  /** The config key whose value made this bucket: what a denial names as its `limit`. */
  readonly limit: string;
  /**
   * Distinct per bucket kind and owner (`req:default`, `calls:class:free`, `tool:<encoded name>`). Class
   * names cannot hold ':' and tool names are URI-encoded, so `<id>:<principal id>` never collides.
   */
  readonly id: string;
  readonly perMinute: number;
  readonly points: number;
  readonly windowS: number;
}

export interface ConcurrencySpec {
  readonly limit: string;
  readonly max: number;
}

/** What one class allows; an absent bucket is no limit. */
export interface ClassLimits {
  readonly name: string;
  readonly requests?: BucketSpec;
  readonly toolCalls?: BucketSpec;
  readonly concurrency?: ConcurrencySpec;
}

export interface RateLimitPlan {
  readonly enabled: boolean;
  /** The class's limits, or the default's when the class is not configured (`known` false). */
  classFor(name: string | undefined): { readonly limits: ClassLimits; readonly known: boolean };
  tool(name: string): BucketSpec | undefined;
  /** The effective limits, for `/ready` and `config print`. */
  describe(): Record<string, unknown>;
}

const PREFIX = 'rate_limits';

/** Turns the `rate_limits` section into the buckets the limiter counts, every inherited value resolved. */
export function planRateLimits(config: RateLimitsConfig): RateLimitPlan {
  const base = resolveClass('default', `${PREFIX}.default`, config, {});
  const classes = new Map(
    Object.entries(config.classes).map(([name, own]) => [name, resolveClass(`class:${name}`, `${PREFIX}.classes.${name}`, config, own)] as const),
  );
  const tools = new Map<string, BucketSpec>();
  for (const [name, tool] of Object.entries(config.tools)) {
    const spec = bucket(`tool:${encodeURIComponent(name)}`, `${PREFIX}.tools.${name}.calls_per_minute`, tool.calls_per_minute, tool.burst ?? tool.calls_per_minute);
    if (spec) tools.set(name, spec);
  }
  const enabled = config.enabled;
  return {
    enabled,
    classFor(name) {
      if (!enabled) return { limits: UNLIMITED, known: true };
      if (name === undefined) return { limits: base, known: true };
      const limits = classes.get(name);
      return limits ? { limits, known: true } : { limits: base, known: false };
    },
    tool: (name) => (enabled ? tools.get(name) : undefined),
    describe: () => ({
      default: describeClass(base),
      classes: Object.fromEntries([...classes].map(([name, limits]) => [name, describeClass(limits)])),
      tools: Object.fromEntries([...tools].map(([name, spec]) => [name, { calls_per_minute: spec.perMinute, burst: spec.points, window_s: spec.windowS }])),
    }),
  };
}

const UNLIMITED: ClassLimits = Object.freeze({ name: 'default' });

type ClassValues = Partial<RateLimitsConfig['default']>;

/** A class's own value wins; otherwise the default's, and the limit is named where the value was set. */
function resolveClass(id: string, path: string, config: RateLimitsConfig, own: ClassValues): ClassLimits {
  const pick = <K extends keyof ClassValues>(key: K) =>
    own[key] !== undefined ? { value: own[key] as number, at: `${path}.${key}` } : { value: config.default[key], at: `${PREFIX}.default.${key}` };
  const burst = pick('burst').value;
  const requests = pick('requests_per_minute');
  const toolCalls = pick('tool_calls_per_minute');
  const concurrent = pick('max_concurrent');
  return Object.freeze({
    name: id === 'default' ? 'default' : id.slice('class:'.length),
    requests: bucket(`req:${id}`, requests.at, requests.value, burst),
    toolCalls: bucket(`calls:${id}`, toolCalls.at, toolCalls.value, burst),
    concurrency: concurrent.value > 0 ? { limit: concurrent.at, max: concurrent.value } : undefined,
  });
}

/**
 * A burst above the rate is capped at one minute's worth, so no window is longer than a minute (a
 * class inheriting a large burst with a small rate does not make callers wait minutes). A window under
 * one second is not possible, so a high rate with a small burst gets a one-second window and the burst
 * that rate earns in it.
 */
export function bucket(id: string, limit: string, perMinute: number, burst: number): BucketSpec | undefined {
  if (perMinute <= 0) return undefined;
  const capped = Math.min(burst, perMinute);
  const windowS = Math.max(1, Math.round((60 * capped) / perMinute));
  const points = Math.max(1, Math.round((perMinute * windowS) / 60));
  return Object.freeze({ limit, id, perMinute, points, windowS });
}

function describeClass(limits: ClassLimits): Record<string, unknown> {
  return {
    requests_per_minute: limits.requests?.perMinute ?? 'unlimited',
    ...(limits.requests ? { burst: limits.requests.points, window_s: limits.requests.windowS } : {}),
    tool_calls_per_minute: limits.toolCalls?.perMinute ?? 'unlimited',
    ...(limits.toolCalls ? { tool_calls_burst: limits.toolCalls.points, tool_calls_window_s: limits.toolCalls.windowS } : {}),
    max_concurrent: limits.concurrency?.max ?? 'unlimited',
  };
}

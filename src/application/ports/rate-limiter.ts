/**
 * Port: token buckets per principal and per (principal, tool), and a cap on concurrent calls per
 * principal. Shared across replicas through Redis when configured, in memory otherwise. A limiter
 * that cannot reach its store fails open for that call and says so once in the log (a dead Redis
 * must not take the server down), unless configured to fail closed.
 */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number; readonly limit: string };

export interface RateLimitKey {
  readonly principalId: string;
  /** The principal's `rateLimitClass`; absent: the default class. */
  readonly limitClass?: string;
}

export interface RateLimiter {
  /** One request (checked before the body is parsed, so only principal-level buckets). */
  request(key: RateLimitKey): Promise<RateDecision>;
  /** One tool call, against the per-tool bucket of the principal's class. */
  toolCall(key: RateLimitKey, tool: string): Promise<RateDecision>;
  /** A slot among the principal's concurrent calls; release it when the call ends. */
  acquire(key: RateLimitKey): Promise<{ readonly release: () => void } | { readonly allowed: false; readonly retryAfterMs: number; readonly limit: string }>;
  /** For `/ready` details and `config print`: the effective limits. */
  describe(): Readonly<Record<string, unknown>>;
  close?(): Promise<void>;
}

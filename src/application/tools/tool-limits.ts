import type { Principal } from '../../domain/auth/principal.js';
import type { ToolErrorEnvelope } from '../application.errors.js';
import type { RateLimiter, RateLimitKey } from '../ports/rate-limiter.js';

/** A call let through: `release` frees its concurrency slot when the call ends (idempotent). */
export interface ToolAdmission {
  release(): void;
}

/** `kind`: which check refused, for the rate-limit metrics. */
export type ToolLimitOutcome = ToolAdmission | ToolRefusal;
export interface ToolRefusal {
  readonly refused: ToolErrorEnvelope;
  readonly kind: 'concurrency' | 'tool_call';
}

const NOTHING_HELD: ToolAdmission = Object.freeze({ release: () => undefined });

/** The limiter's slot, given back once however many paths end the call (inline, task, failure). */
class HeldSlot implements ToolAdmission {
  private released = false;

  constructor(private readonly slot: { readonly release: () => void }) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.slot.release();
  }
}

/**
 * The tool-level limits of `rate_limits`: a slot among the caller's concurrent calls, then the
 * caller's tool-call buckets (its class's, and the tool's own). The slot is taken first so that a
 * call refused by a bucket gives it straight back and a call refused for want of a slot spends no
 * token. A refusal is the retryable `rate_limited` envelope with `retry_after_ms`, on every
 * transport alike: by the time a tools/call is parsed, the HTTP status is already decided.
 */
export class ToolLimits {
  /** One key per principal object (authenticators hand out the same object for a cached credential). */
  private readonly keys = new WeakMap<Principal, RateLimitKey>();

  constructor(private readonly limiter: RateLimiter) {}

  /**
   * `nested`: the call runs inside another call of the same caller (the conversation loop's tool
   * calls), which holds the caller's slot already; taking a second one would refuse every nested
   * call of a caller capped at one.
   */
  async admit(caller: Principal, tool: string, nested: boolean): Promise<ToolLimitOutcome> {
    const key = this.keyOf(caller);
    let admission = NOTHING_HELD;
    if (!nested) {
      const slot = await this.limiter.acquire(key);
      if ('allowed' in slot) return { refused: rateLimited(slot.retryAfterMs, slot.limit), kind: 'concurrency' };
      admission = new HeldSlot(slot);
    }
    const decision = await this.limiter.toolCall(key, tool);
    if (decision.allowed) return admission;
    admission.release();
    return { refused: rateLimited(decision.retryAfterMs, decision.limit), kind: 'tool_call' };
  }

  private keyOf(caller: Principal): RateLimitKey {
    let key = this.keys.get(caller);
    if (key === undefined) {
      key = Object.freeze(caller.rateLimitClass !== undefined ? { principalId: caller.id, limitClass: caller.rateLimitClass } : { principalId: caller.id });
      this.keys.set(caller, key);
    }
    return key;
  }
}

export function isRefused(outcome: ToolLimitOutcome): outcome is ToolRefusal {
  return 'refused' in outcome;
}

function rateLimited(retryAfterMs: number, limit: string): ToolErrorEnvelope {
  const ms = Math.max(1, Math.ceil(retryAfterMs));
  return {
    error: 'rate_limited',
    reason: `this caller reached its ${limit} limit; the call was not run`,
    suggested_actions: [`wait ${ms} ms (retry_after_ms), then call again`],
    retryable: true,
    retry_after_ms: ms,
    context: { limit, retry_after_ms: ms },
  };
}

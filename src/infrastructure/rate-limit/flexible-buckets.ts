import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { BucketSpec } from './rate-limit-plan.js';

export type BucketOutcome = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * The counters of every bucket in one store, one rate-limiter-flexible limiter per bucket (made on
 * first use). `take` resolves with the verdict and rejects only when the store itself failed, which
 * the caller turns into fail-open or fail-closed.
 */
export class FlexibleBuckets {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  private constructor(private readonly make: (spec: BucketSpec) => RateLimiterAbstract) {}

  /** One process's counters. */
  static inMemory(): FlexibleBuckets {
    return new FlexibleBuckets((spec) => new RateLimiterMemory({ keyPrefix: spec.id, points: spec.points, duration: spec.windowS }));
  }

  /**
   * Counters shared by every replica on `client` (whose own key prefix applies first), each bucket
   * kind under `<namespace><spec.id>`. A principal over its limit is refused from this replica's
   * memory for the rest of the window, so a flood costs Redis nothing. A client that is not connected
   * fails at once instead of queueing.
   */
  static inRedis(client: Redis, namespace: string): FlexibleBuckets {
    return new FlexibleBuckets(
      (spec) =>
        new RateLimiterRedis({
          storeClient: client,
          keyPrefix: `${namespace}${spec.id}`,
          points: spec.points,
          duration: spec.windowS,
          inMemoryBlockOnConsumed: spec.points + 1,
          rejectIfRedisNotReady: true,
        }),
    );
  }

  async take(spec: BucketSpec, subject: string): Promise<BucketOutcome> {
    try {
      await this.limiter(spec).consume(subject, 1);
      return ALLOWED;
    } catch (outcome) {
      if (!(outcome instanceof RateLimiterRes)) throw outcome;
      // msBeforeNext is the rest of the window; at least 1 ms, so a caller never retries at once.
      return { allowed: false, retryAfterMs: Math.max(1, Math.ceil(outcome.msBeforeNext)) };
    }
  }

  /** Undoes one `take` that another bucket then refused, so a refused call costs nothing. */
  async giveBack(spec: BucketSpec, subject: string): Promise<void> {
    await this.limiter(spec).reward(subject, 1);
  }

  private limiter(spec: BucketSpec): RateLimiterAbstract {
    let limiter = this.limiters.get(spec.id);
    if (!limiter) {
      limiter = this.make(spec);
      this.limiters.set(spec.id, limiter);
    }
    return limiter;
  }
}

const ALLOWED: BucketOutcome = Object.freeze({ allowed: true });

import type { Redis } from 'ioredis';
import type { Logger } from '../../application/ports/logger.js';
import type { RateLimiter } from '../../application/ports/rate-limiter.js';
import type { RateLimitsConfig } from '../config/rate-limits.schema.js';
import { InMemoryConcurrencySlots } from './concurrency-slots.js';
import { FlexibleBuckets } from './flexible-buckets.js';
import { FlexibleRateLimiter, type LimiterStore } from './flexible-rate-limiter.js';
import { planRateLimits } from './rate-limit-plan.js';
import { RedisConcurrencySlots } from './redis-concurrency-slots.js';
import { StoreOutage } from './store-outage.js';

export interface RateLimiterDeps {
  readonly logger: Logger;
  /**
   * Required when `store` is `redis`: a client on cache.redis (its key_prefix applies), owned and
   * closed by the caller. Best without an offline queue (createRedisConnection), so that an outage
   * fails at once instead of waiting out store_timeout_ms.
   */
  readonly redis?: Redis;
  /** Inside the client's key prefix; every key this limiter writes starts with it. Default `rl:`. */
  readonly namespace?: string;
}

/** The configured limiter: counting in Redis (shared by replicas) or in this process's memory. */
export function createRateLimiter(config: RateLimitsConfig, deps: RateLimiterDeps): RateLimiter {
  const logger = deps.logger.child({ component: 'rate-limit' });
  const plan = planRateLimits(config);
  const outage = new StoreOutage(logger, config.fail_open);
  const fallback = config.fail_open ? inMemory() : undefined;
  if (config.store === 'memory') return new FlexibleRateLimiter({ plan, storeName: 'memory', primary: inMemory(), fallback, outage, logger });
  if (!deps.redis) throw new Error('rate_limits.store is redis but no Redis client was given');
  const namespace = deps.namespace ?? 'rl:';
  const primary: LimiterStore = {
    buckets: FlexibleBuckets.inRedis(deps.redis, namespace),
    slots: new RedisConcurrencySlots(deps.redis, namespace, config.concurrency_lease_ms),
  };
  return new FlexibleRateLimiter({
    plan,
    storeName: 'redis',
    primary,
    fallback,
    timeoutMs: config.store_timeout_ms,
    outage,
    logger,
  });
}

function inMemory(): LimiterStore {
  return { buckets: FlexibleBuckets.inMemory(), slots: new InMemoryConcurrencySlots() };
}

import type { Logger } from '../application/ports/logger.js';
import type { RateLimiter } from '../application/ports/rate-limiter.js';
import type { ResolvedConfig } from '../infrastructure/config/config.schema.js';
import type { Wired } from './wiring.js';

/**
 * `rate_limits` (loaded only when enabled): counting in this process, or in Redis on `cache.redis`
 * (its URL and key prefix) so that replicas share one budget. The limiter gets a Redis connection
 * of its own, whatever `cache.driver` says, and it is closed after the limiter at shutdown. A Redis
 * that is down at start-up does not hold it: the limiter fails open or closed as configured.
 */
export async function wireRateLimiter(config: ResolvedConfig, logger: Logger): Promise<Wired<RateLimiter>> {
  const { createRateLimiter } = await import('../infrastructure/rate-limit/create-rate-limiter.js');
  const limits = config.rate_limits;
  if (limits.store === 'memory') {
    const limiter = createRateLimiter(limits, { logger });
    return { adapters: limiter, healthChecks: [], close: async () => limiter.close?.() };
  }
  const { createRedisConnection } = await import('../infrastructure/cache/redis-connection.js');
  const redis = config.cache.redis;
  const connection = createRedisConnection(
    // A command slower than store_timeout_ms already counts as a failure; the client need not wait longer.
    { url: redis.url, connectTimeoutMs: redis.connect_timeout_ms, keyPrefix: redis.key_prefix, commandTimeoutMs: Math.max(limits.store_timeout_ms, 100) },
    logger.child({ component: 'rate-limit' }),
  );
  const limiter = createRateLimiter(limits, { logger, redis: connection.client });
  return {
    adapters: limiter,
    healthChecks: [],
    start: async () => void (await connection.waitUntilReady(redis.connect_timeout_ms)),
    close: async () => {
      await limiter.close?.();
      await connection.close();
    },
  };
}

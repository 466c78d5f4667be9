import type { Cache } from '../application/ports/cache.js';
import type { Clock } from '../application/ports/clock.js';
import type { SseReplayStore } from '../application/ports/sse-replay-store.js';
import type { Logger } from '../application/ports/logger.js';
import { InMemoryCache } from '../infrastructure/cache/in-memory-cache.js';
import type { ResolvedConfig } from '../infrastructure/config/config.schema.js';
import { EmbeddedHealthCheck } from '../infrastructure/health/embedded-health-checks.js';
import { InMemorySseReplayStore } from '../infrastructure/messaging/memory/in-memory-sse-replay-store.js';
import type { Wired } from './wiring.js';

export interface SharedState {
  readonly cache: Cache;
  /** SSE resumability: with Redis, another replica (or this one after a restart) can resume a stream. */
  readonly replayStore: SseReplayStore;
}

export async function wireSharedState(config: ResolvedConfig, logger: Logger, clock: Clock): Promise<Wired<SharedState>> {
  const retention = config.server.http.event_retention;
  const limits = { maxEntries: config.cache.max_entries, maxValueBytes: config.cache.max_value_bytes };
  switch (config.cache.driver) {
    case 'memory':
      return {
        adapters: { cache: new InMemoryCache(limits, clock), replayStore: new InMemorySseReplayStore(retention) },
        healthChecks: [new EmbeddedHealthCheck('cache', 'memory')],
      };
    case 'redis': {
      // ioredis costs ~55 ms to load: only when configured.
      const [{ RedisCache }, { createRedisConnection }, { RedisHealthCheck }, { RedisSseReplayStore }] = await Promise.all([
        import('../infrastructure/cache/redis-cache.js'),
        import('../infrastructure/cache/redis-connection.js'),
        import('../infrastructure/cache/redis-health-check.js'),
        import('../infrastructure/messaging/redis/redis-sse-replay-store.js'),
      ]);
      const redis = config.cache.redis;
      const connection = createRedisConnection({ url: redis.url, connectTimeoutMs: redis.connect_timeout_ms, keyPrefix: redis.key_prefix }, logger);
      return {
        adapters: {
          cache: new RedisCache(connection.client, { maxValueBytes: config.cache.max_value_bytes }, logger),
          replayStore: new RedisSseReplayStore(connection.client, { retentionPerStream: retention }),
        },
        healthChecks: [new RedisHealthCheck(connection.client)],
        // A short wait so the first requests find Redis ready; if it is down we serve without it.
        start: async () => void (await connection.waitUntilReady(redis.connect_timeout_ms)),
        close: async () => connection.close(),
      };
    }
  }
}

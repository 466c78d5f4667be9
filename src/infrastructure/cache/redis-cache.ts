import type { Redis } from 'ioredis';
import type { Cache } from '../../application/ports/cache.js';
import type { Logger } from '../../application/ports/logger.js';
import { isStorable } from './cache-value-policy.js';
import { describeRedisError } from './redis-connection.js';

export interface RedisCacheOptions {
  /** Values longer than this (UTF-8 bytes) are not stored. */
  readonly maxValueBytes: number;
  /** Inside the connection's key prefix, so other Redis users of the same prefix cannot collide. Default `cache:`. */
  readonly namespace?: string;
  /** At most one warning per this many ms while Redis fails; every failure is logged at debug. Default 60000. */
  readonly warnEveryMs?: number;
}

/**
 * A cache shared by every replica. Entry count is Redis's business (maxmemory + an LRU policy), not
 * ours. Redis being down is not the caller's problem: a failed get is a miss, a failed set or delete
 * does nothing, and readiness (RedisHealthCheck) tells the operator.
 */
export class RedisCache implements Cache {
  private readonly namespace: string;
  private readonly warnEveryMs: number;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly client: Redis,
    private readonly options: RedisCacheOptions,
    private readonly logger: Logger,
  ) {
    this.namespace = options.namespace ?? 'cache:';
    this.warnEveryMs = options.warnEveryMs ?? 60_000;
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.client.get(this.namespace + key)) ?? undefined;
    } catch (error) {
      this.failed('get', error);
      return undefined;
    }
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    // A refused value still removes the old one, so a get never answers with something older than the last set.
    if (!isStorable(value, ttlMs, this.options.maxValueBytes)) return this.delete(key);
    try {
      await this.client.set(this.namespace + key, value, 'PX', Math.ceil(ttlMs));
    } catch (error) {
      this.failed('set', error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.del(this.namespace + key);
    } catch (error) {
      this.failed('delete', error);
    }
  }

  private failed(operation: string, error: unknown): void {
    const reason = describeRedisError(error);
    this.logger.debug('redis cache operation failed; treated as a miss', { operation, reason });
    const now = Date.now();
    if (now - this.lastWarnAt < this.warnEveryMs) {
      this.suppressed += 1;
      return;
    }
    this.logger.warn('redis cache unavailable; answering misses', { operation, reason, suppressedSinceLastWarning: this.suppressed });
    this.lastWarnAt = now;
    this.suppressed = 0;
  }
}

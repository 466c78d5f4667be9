import type { Redis } from 'ioredis';
import type { ConcurrencySlots } from './concurrency-slots.js';

/**
 * Drops expired leases, then adds the slot if fewer than ARGV[1] are held. Redis's own clock, so
 * replicas with skewed clocks agree on what has expired. Atomic: two replicas racing for the last
 * slot cannot both get it.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * Slots shared by every replica: one sorted set per principal, a member per call in flight, scored
 * by when its lease ends. A replica that dies mid-call leaks its slots only until their lease ends
 * (a plain INCR/DECR counter would leak them for as long as the principal keeps calling).
 */
export class RedisConcurrencySlots implements ConcurrencySlots {
  constructor(
    private readonly client: Redis,
    private readonly namespace: string,
    private readonly leaseMs: number,
  ) {}

  async take(subject: string, slot: string, max: number): Promise<boolean> {
    const taken = await this.client.eval(TAKE, 1, this.key(subject), String(max), String(this.leaseMs), slot);
    return taken === 1;
  }

  async give(subject: string, slot: string): Promise<void> {
    await this.client.zrem(this.key(subject), slot);
  }

  private key(subject: string): string {
    return `${this.namespace}conc:${subject}`;
  }
}

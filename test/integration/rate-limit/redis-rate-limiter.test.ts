import { Redis } from 'ioredis';
import type { RateDecision, RateLimiter } from '../../../src/application/ports/rate-limiter.js';
import { createRedisConnection, type RedisConnection } from '../../../src/infrastructure/cache/redis-connection.js';
import { rateLimitsSchema } from '../../../src/infrastructure/config/rate-limits.schema.js';
import { createRateLimiter } from '../../../src/infrastructure/rate-limit/create-rate-limiter.js';
import { RecordingLogger } from '../../support/builders.js';
import { deleteKeys, eventually, REDIS_URL, sleep, uniquePrefix } from '../redis/redis-test-support.js';

/**
 * The limiter on the project's Redis (bash scripts/services.sh up), as two replicas would run it:
 * two connections, two limiters, one key prefix. Every test uses its own prefix, so parallel files
 * and reruns never share a budget.
 */
const ALICE = { principalId: 'key:alice' };
const BOB = { principalId: 'key:bob' };

/** 24 a minute with a burst of 4: 4 per 10 s window, long enough that no window ends mid-test. */
const SLOW_BUCKET = { requests_per_minute: 24, burst: 4, tool_calls_per_minute: 24, max_concurrent: 2 };

const connections: RedisConnection[] = [];
const prefixes: string[] = [];

async function connect(keyPrefix: string, url = REDIS_URL): Promise<RedisConnection> {
  const connection = createRedisConnection({ url, connectTimeoutMs: 500, keyPrefix, commandTimeoutMs: 500, maxRetryDelayMs: 200 }, new RecordingLogger());
  connections.push(connection);
  return connection;
}

/** Two limiters (two replicas) on one Redis budget. */
async function replicas(section: Record<string, unknown>, logger = new RecordingLogger()): Promise<[RateLimiter, RateLimiter]> {
  const prefix = uniquePrefix('rate-limit');
  prefixes.push(prefix);
  const config = rateLimitsSchema.parse({ enabled: true, store: 'redis', ...section });
  const [a, b] = [await connect(prefix), await connect(prefix)];
  expect(await a.waitUntilReady(5_000)).toBe(true);
  expect(await b.waitUntilReady(5_000)).toBe(true);
  return [createRateLimiter(config, { logger, redis: a.client }), createRateLimiter(config, { logger, redis: b.client })];
}

const allowed = (decisions: RateDecision[]) => decisions.filter((d) => d.allowed).length;

function refusal(decision: RateDecision): { retryAfterMs: number; limit: string } {
  if (decision.allowed) throw new Error('expected a refusal, the call was allowed');
  return decision;
}

afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await Promise.all(prefixes.map((prefix) => deleteKeys(prefix)));
});

describe('Redis rate limiter – two replicas share one budget', () => {
  it('requests alternating between replicas – 4 pass in all, the 5th is refused on either, naming the limit', async () => {
    const [one, two] = await replicas({ default: SLOW_BUCKET });
    const decisions: RateDecision[] = [];
    for (let i = 0; i < 6; i += 1) decisions.push(await (i % 2 === 0 ? one : two).request(ALICE));
    expect(decisions.slice(0, 4).every((d) => d.allowed)).toBe(true);
    for (const refused of decisions.slice(4).map(refusal)) {
      expect(refused.limit).toBe('rate_limits.default.requests_per_minute');
      expect(refused.retryAfterMs).toBeGreaterThan(5_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(10_000);
    }
  });

  it('concurrent requests from both replicas at once – exactly the burst passes (the count is atomic)', async () => {
    const [one, two] = await replicas({ default: { ...SLOW_BUCKET, burst: 4 } });
    const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : two).request(ALICE)));
    expect(allowed(decisions)).toBe(4);
  });

  it('a 1 s bucket – refused until retryAfterMs, then full again on the other replica', async () => {
    const [one, two] = await replicas({ default: { requests_per_minute: 120, burst: 2 } });
    await one.request(ALICE);
    await two.request(ALICE);
    const refused = refusal(await one.request(ALICE));
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    await sleep(refused.retryAfterMs + 50);
    expect(allowed([await two.request(ALICE), await one.request(ALICE), await two.request(ALICE)])).toBe(2);
  });

  it('per-tool and class tool-call buckets – shared too; a tool refusal gives the class point back on Redis', async () => {
    const [one, two] = await replicas({ default: SLOW_BUCKET, tools: { execute_command: { calls_per_minute: 6, burst: 1 } } });
    expect(await one.toolCall(ALICE, 'execute_command')).toEqual({ allowed: true });
    expect(refusal(await two.toolCall(ALICE, 'execute_command')).limit).toBe('rate_limits.tools.execute_command.calls_per_minute');
    expect(refusal(await one.toolCall(ALICE, 'execute_command')).limit).toBe('rate_limits.tools.execute_command.calls_per_minute');
    // 4 class tool calls: 1 spent by the allowed execute_command, the refused two gave theirs back.
    const rest = [await two.toolCall(ALICE, 'read_file'), await one.toolCall(ALICE, 'read_file'), await two.toolCall(ALICE, 'read_file'), await one.toolCall(ALICE, 'read_file')];
    expect(allowed(rest)).toBe(3);
    expect(refusal(rest[3]!).limit).toBe('rate_limits.default.tool_calls_per_minute');
  });

  it('a limited principal flooding one replica – another principal keeps its whole budget on the other', async () => {
    const [one, two] = await replicas({ default: SLOW_BUCKET });
    const flood = await Promise.all(Array.from({ length: 50 }, () => one.request(ALICE)));
    expect(allowed(flood)).toBe(4);
    expect(await Promise.all(Array.from({ length: 4 }, () => two.request(BOB)))).toEqual(Array(4).fill({ allowed: true }));
    expect(refusal(await two.request(BOB)).limit).toBe('rate_limits.default.requests_per_minute');
  });

  it('keys – under the connection prefix, one kind per bucket, every one expiring', async () => {
    const prefix = uniquePrefix('rate-limit');
    prefixes.push(prefix);
    const connection = await connect(prefix);
    expect(await connection.waitUntilReady(5_000)).toBe(true);
    const limits = createRateLimiter(rateLimitsSchema.parse({ enabled: true, store: 'redis', default: SLOW_BUCKET, tools: { read_file: { calls_per_minute: 6 } } }), {
      logger: new RecordingLogger(),
      redis: connection.client,
    });
    await limits.request(ALICE);
    await limits.toolCall(ALICE, 'read_file');
    const slot = await limits.acquire(ALICE);
    const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 0 });
    try {
      const keys = (await admin.keys(`${prefix}*`)).map((key) => key.slice(prefix.length)).sort();
      expect(keys).toEqual(['rl:calls:default:key:alice', 'rl:conc:key:alice', 'rl:req:default:key:alice', 'rl:tool:read_file:key:alice']);
      for (const key of keys) expect(await admin.pttl(prefix + key)).toBeGreaterThan(0);
    } finally {
      admin.disconnect();
      if ('release' in slot) slot.release();
    }
  });
});

describe('Redis rate limiter – concurrency shared through Redis', () => {
  it('max_concurrent 2 across replicas – the third is refused; a release on one replica lets the other in', async () => {
    const [one, two] = await replicas({ default: SLOW_BUCKET });
    const a = await one.acquire(ALICE);
    const b = await two.acquire(ALICE);
    expect(await one.acquire(ALICE)).toEqual({ allowed: false, retryAfterMs: 1_000, limit: 'rate_limits.default.max_concurrent' });
    if (!('release' in a) || !('release' in b)) throw new Error('expected two slots');
    a.release();
    const c = await eventually(async () => {
      const attempt = await two.acquire(ALICE);
      return 'release' in attempt ? attempt : undefined;
    }, 2_000);
    expect(await one.acquire(BOB)).toHaveProperty('release');
    b.release();
    c.release();
  });

  it('a slot released twice frees one slot, not two', async () => {
    const [one, two] = await replicas({ default: SLOW_BUCKET });
    const a = await one.acquire(ALICE);
    const b = await one.acquire(ALICE);
    if (!('release' in a) || !('release' in b)) throw new Error('expected two slots');
    a.release();
    a.release();
    await sleep(100);
    expect(await two.acquire(ALICE)).toHaveProperty('release');
    expect(await two.acquire(ALICE)).toMatchObject({ allowed: false, limit: 'rate_limits.default.max_concurrent' });
  });

  it('racing for the last slot from both replicas – exactly max_concurrent get one', async () => {
    const [one, two] = await replicas({ default: { ...SLOW_BUCKET, max_concurrent: 3 } });
    const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : two).acquire(ALICE)));
    expect(attempts.filter((attempt) => 'release' in attempt)).toHaveLength(3);
  });

  it('a slot never released (its replica died) – freed when concurrency_lease_ms ends', async () => {
    const [one, two] = await replicas({ default: { ...SLOW_BUCKET, max_concurrent: 1 }, concurrency_lease_ms: 1_000 });
    expect(await one.acquire(ALICE)).toHaveProperty('release');
    expect(await two.acquire(ALICE)).toMatchObject({ allowed: false });
    await sleep(1_100);
    expect(await two.acquire(ALICE)).toHaveProperty('release');
  });
});

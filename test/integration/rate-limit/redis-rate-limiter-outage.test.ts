import { createServer } from 'node:net';
import type { RateDecision, RateLimiter } from '../../../src/application/ports/rate-limiter.js';
import { createRedisConnection, type RedisConnection } from '../../../src/infrastructure/cache/redis-connection.js';
import { rateLimitsSchema } from '../../../src/infrastructure/config/rate-limits.schema.js';
import { createRateLimiter } from '../../../src/infrastructure/rate-limit/create-rate-limiter.js';
import { RecordingLogger } from '../../support/builders.js';
import { eventually, ThrowawayRedis, timed, uniquePrefix } from '../redis/redis-test-support.js';

/**
 * The limiter when its Redis is away: a loopback port nothing listens on, and a redis-server this
 * file owns (killed, frozen, restarted by PID). The project's shared Redis is never touched.
 */
const ALICE = { principalId: 'key:alice' };
/** 2 per 10 s: the fallback's memory count is visible within a test. */
const LIMITS = { requests_per_minute: 12, burst: 2, tool_calls_per_minute: 12, max_concurrent: 1 };
const FAST_MS = 100;

const connections: RedisConnection[] = [];

afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
});

function connect(url: string, keyPrefix = uniquePrefix('rate-limit-outage')): RedisConnection {
  const connection = createRedisConnection(
    { url, connectTimeoutMs: 300, keyPrefix, commandTimeoutMs: 1_000, maxRetryDelayMs: 200 },
    new RecordingLogger(),
  );
  connections.push(connection);
  return connection;
}

function limiterOn(connection: RedisConnection, section: Record<string, unknown>, logger: RecordingLogger): RateLimiter {
  return createRateLimiter(rateLimitsSchema.parse({ enabled: true, store: 'redis', default: LIMITS, ...section }), { logger, redis: connection.client });
}

/** A loopback port that was free a moment ago: connecting is refused at once. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const storeWarnings = (logger: RecordingLogger) => logger.at('warn').filter((line) => line.message.startsWith('rate limit store unavailable'));

function refusal(decision: RateDecision): { retryAfterMs: number; limit: string } {
  if (decision.allowed) throw new Error('expected a refusal, the call was allowed');
  return decision;
}

describe('Redis rate limiter – Redis unreachable (nothing listens on the port)', () => {
  let url: string;

  beforeAll(async () => {
    url = `redis://127.0.0.1:${await closedPort()}/0`;
  });

  it('fail_open true – answered at once, counted in this replica\'s memory, one warning for many calls', async () => {
    const logger = new RecordingLogger();
    const limits = limiterOn(connect(url), {}, logger);
    const first = await timed(() => limits.request(ALICE));
    expect(first.value).toEqual({ allowed: true });
    expect(first.ms).toBeLessThan(FAST_MS);
    expect(await limits.request(ALICE)).toEqual({ allowed: true });
    // Still limited: the memory fallback has the same buckets.
    expect(refusal(await limits.request(ALICE)).limit).toBe('rate_limits.default.requests_per_minute');
    for (let i = 0; i < 20; i += 1) await limits.toolCall(ALICE, 'read_file');
    const slot = await limits.acquire(ALICE);
    expect(slot).toHaveProperty('release');
    expect(await limits.acquire(ALICE)).toMatchObject({ allowed: false, limit: 'rate_limits.default.max_concurrent' });

    const warnings = storeWarnings(logger);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ fields: { component: 'rate-limit', fail_open: true, reason: 'not connected' } });
    expect(warnings[0]!.message).toContain('failing open');
    expect(logger.text()).not.toContain(url);
    expect(limits.describe()).toMatchObject({ store: 'redis', fail_open: true, store_state: 'unavailable', failed_calls: 25 });
  });

  it('fail_open false – every limited call is refused, retryable, naming rate_limits.fail_open; one warning', async () => {
    const logger = new RecordingLogger();
    const limits = limiterOn(connect(url), { fail_open: false }, logger);
    const request = await timed(() => limits.request(ALICE));
    expect(request.value).toEqual({ allowed: false, retryAfterMs: 1_000, limit: 'rate_limits.fail_open' });
    expect(request.ms).toBeLessThan(FAST_MS);
    expect(await limits.toolCall(ALICE, 'read_file')).toEqual({ allowed: false, retryAfterMs: 1_000, limit: 'rate_limits.fail_open' });
    expect(await limits.acquire(ALICE)).toEqual({ allowed: false, retryAfterMs: 1_000, limit: 'rate_limits.fail_open' });
    const warnings = storeWarnings(logger);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('failing closed');
  });

  it('fail_open false – a class with no limits is not refused (nothing to count)', async () => {
    const limits = limiterOn(connect(url), { fail_open: false, classes: { internal: { requests_per_minute: 0, tool_calls_per_minute: 0, max_concurrent: 0 } } }, new RecordingLogger());
    const internal = { principalId: 'key:ci', limitClass: 'internal' };
    expect(await limits.request(internal)).toEqual({ allowed: true });
    expect(await limits.toolCall(internal, 'read_file')).toEqual({ allowed: true });
    expect(await limits.acquire(internal)).toHaveProperty('release');
  });
});

describe('Redis rate limiter – Redis crashes and comes back (phases run in order)', () => {
  let server: ThrowawayRedis;
  let logger: RecordingLogger;
  let otherLogger: RecordingLogger;
  let one: RateLimiter;
  let two: RateLimiter;

  beforeAll(async () => {
    server = await ThrowawayRedis.start();
    logger = new RecordingLogger();
    otherLogger = new RecordingLogger();
    // Both replicas on one key prefix, as one deployment.
    const prefix = uniquePrefix('rate-limit-outage');
    const [a, b] = [connect(server.url, prefix), connect(server.url, prefix)];
    expect(await a.waitUntilReady(5_000)).toBe(true);
    expect(await b.waitUntilReady(5_000)).toBe(true);
    one = limiterOn(a, {}, logger);
    two = limiterOn(b, {}, otherLogger);
  });

  afterAll(async () => {
    server?.thaw();
    await server?.kill();
  });

  it('up – counted in Redis, no warning', async () => {
    expect(await one.request({ principalId: 'key:up' })).toEqual({ allowed: true });
    expect(one.describe()).toMatchObject({ store_state: 'up' });
    expect(storeWarnings(logger)).toHaveLength(0);
  });

  it('killed – fail open with one warning however many calls', async () => {
    await server.kill();
    for (let i = 0; i < 10; i += 1) {
      const call = await timed(() => one.toolCall({ principalId: `key:down-${i}` }, 'read_file'));
      expect(call.value).toEqual({ allowed: true });
      expect(call.ms).toBeLessThan(FAST_MS);
    }
    expect(storeWarnings(logger)).toHaveLength(1);
  });

  it('restarted – "available again" once, and the replicas share one count again', async () => {
    await server.start();
    const back = { principalId: 'key:back' };
    // Each replica's connection reconnects on its own; probe both until both count in Redis.
    await eventually(async () => {
      await one.request({ principalId: 'key:probe' });
      await two.request({ principalId: 'key:probe' });
      return one.describe().store_state === 'up' && two.describe().store_state === 'up' ? true : undefined;
    }, 5_000);
    expect(logger.at('info').filter((line) => line.message === 'rate limit store available again')).toHaveLength(1);
    expect(await one.request(back)).toEqual({ allowed: true });
    expect(await two.request(back)).toEqual({ allowed: true });
    expect(refusal(await one.request(back)).limit).toBe('rate_limits.default.requests_per_minute');
  });

  it('frozen (no answer) – each call waits at most store_timeout_ms, then fails open', async () => {
    const frozenLogger = new RecordingLogger();
    const connection = connect(server.url);
    expect(await connection.waitUntilReady(5_000)).toBe(true);
    const limits = limiterOn(connection, { store_timeout_ms: 100 }, frozenLogger);
    expect(await limits.request({ principalId: 'key:f0' })).toEqual({ allowed: true });
    expect(storeWarnings(frozenLogger)).toHaveLength(0);
    server.freeze();
    try {
      for (let i = 1; i <= 3; i += 1) {
        const call = await timed(() => limits.request({ principalId: `key:f${i}` }));
        expect(call.value).toEqual({ allowed: true });
        expect(call.ms).toBeLessThan(100 + FAST_MS);
      }
      const slot = await timed(() => limits.acquire({ principalId: 'key:f-slot' }));
      expect(slot.value).toHaveProperty('release');
      expect(slot.ms).toBeLessThan(100 + FAST_MS);
      expect(storeWarnings(frozenLogger)).toHaveLength(1);
      expect(storeWarnings(frozenLogger)[0]!.fields.reason).toBe('no answer within 100 ms');
    } finally {
      server.thaw();
    }
  });
});

import { Redis } from 'ioredis';
import { InMemoryCache } from '../../src/infrastructure/cache/in-memory-cache.js';
import { RedisCache } from '../../src/infrastructure/cache/redis-cache.js';
import { createRedisConnection, type RedisConnection } from '../../src/infrastructure/cache/redis-connection.js';
import { RecordingLogger } from '../support/builders.js';
import { describeWithServices, servicesAvailable, withServices } from '../support/with-services.js';
import { FixedClock } from '../support/fixed-clock.js';
import { deleteKeys, keysUnder, REDIS_URL, uniquePrefix } from '../integration/redis/redis-test-support.js';
import { describeCacheContract } from './cache.contract.js';

const FILE_PREFIX = uniquePrefix('cache-contract');
const connections: RedisConnection[] = [];

async function connect(keyPrefix: string, logger = new RecordingLogger()): Promise<RedisConnection> {
  const connection = createRedisConnection({ url: REDIS_URL, connectTimeoutMs: 2_000, keyPrefix }, logger);
  connections.push(connection);
  if (!(await connection.waitUntilReady(5_000))) throw new Error(`redis not ready at ${REDIS_URL} (bash scripts/services.sh up)`);
  return connection;
}

if (servicesAvailable) afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await deleteKeys(FILE_PREFIX);
  expect(await keysUnder(FILE_PREFIX)).toEqual([]);
});

describeCacheContract('InMemoryCache', {
  create: async ({ maxValueBytes }) => new InMemoryCache({ maxEntries: 1_000, maxValueBytes }),
});

withServices(describeCacheContract)('RedisCache', {
  create: async ({ prefix, maxValueBytes }) => {
    const connection = await connect(FILE_PREFIX + prefix);
    return new RedisCache(connection.client, { maxValueBytes }, new RecordingLogger());
  },
});

describe('InMemoryCache – bounds', () => {
  it('max entries – full – the least recently used entry goes, and a get counts as a use', async () => {
    const cache = new InMemoryCache({ maxEntries: 2, maxValueBytes: 100 });
    await cache.set('a', '1', 60_000);
    await cache.set('b', '2', 60_000);
    expect(await cache.get('a')).toBe('1');
    await cache.set('c', '3', 60_000);
    expect(cache.size).toBe(2);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBe('1');
    expect(await cache.get('c')).toBe('3');
  });

  it('max entries 0 – nothing is stored', async () => {
    const cache = new InMemoryCache({ maxEntries: 0, maxValueBytes: 100 });
    await cache.set('a', '1', 60_000);
    expect(cache.size).toBe(0);
    expect(await cache.get('a')).toBeUndefined();
  });

  it('expired entry – evicted when touched, and a miss exactly at its expiry instant', async () => {
    const clock = new FixedClock();
    const cache = new InMemoryCache({ maxEntries: 10, maxValueBytes: 100 }, clock);
    await cache.set('a', '1', 1_000);
    clock.advance(999);
    expect(await cache.get('a')).toBe('1');
    clock.advance(1);
    expect(cache.size).toBe(1);
    expect(await cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describeWithServices('RedisCache – redis specifics', () => {
  it('two replicas on the same prefix – share entries, stored under <key_prefix>cache: with the ttl as PX', async () => {
    const prefix = `${FILE_PREFIX}shared:`;
    const one = new RedisCache((await connect(prefix)).client, { maxValueBytes: 100 }, new RecordingLogger());
    const two = new RedisCache((await connect(prefix)).client, { maxValueBytes: 100 }, new RecordingLogger());
    await one.set('tool:x', 'result', 5_000);
    expect(await two.get('tool:x')).toBe('result');
    const admin = new Redis(REDIS_URL);
    try {
      const pttl = await admin.pttl(`${prefix}cache:tool:x`);
      expect(pttl).toBeGreaterThan(4_000);
      expect(pttl).toBeLessThanOrEqual(5_000);
    } finally {
      admin.disconnect();
    }
    await two.delete('tool:x');
    expect(await one.get('tool:x')).toBeUndefined();
  });

  it('redis error (WRONGTYPE) – get misses, set and delete resolve; one warning per window, every failure at debug', async () => {
    const prefix = `${FILE_PREFIX}errors:`;
    const connection = await connect(prefix);
    await connection.client.hset('cache:not-a-string', 'f', 'v');
    const logger = new RecordingLogger();
    const cache = new RedisCache(connection.client, { maxValueBytes: 100, warnEveryMs: 60_000 }, logger);
    expect(await cache.get('not-a-string')).toBeUndefined();
    expect(await cache.get('not-a-string')).toBeUndefined();
    await expect(cache.set('x', 'v', 10_000)).resolves.toBeUndefined();
    expect(await cache.get('x')).toBe('v');
    expect(logger.at('warn')).toHaveLength(1);
    expect(logger.at('warn')[0].fields).toMatchObject({ operation: 'get', reason: 'WRONGTYPE' });
    expect(logger.at('debug')).toHaveLength(2);
  });
});

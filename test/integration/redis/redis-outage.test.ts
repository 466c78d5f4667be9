import { RedisCache } from '../../../src/infrastructure/cache/redis-cache.js';
import { createRedisConnection, type RedisConnection } from '../../../src/infrastructure/cache/redis-connection.js';
import { RedisHealthCheck } from '../../../src/infrastructure/cache/redis-health-check.js';
import { SseReplayStoreUnavailable, RedisSseReplayStore } from '../../../src/infrastructure/messaging/redis/redis-sse-replay-store.js';
import { RecordingLogger } from '../../support/builders.js';
import { eventually, sleep, ThrowawayRedis, timed, uniquePrefix } from './redis-test-support.js';

/**
 * Outage behaviour against a redis-server this file owns (its own port, no persistence): crash it,
 * freeze it, restart it. The shared Redis is never touched, so its keys need no cleanup; this
 * server's keys die with it.
 */
const FAST_MS = 500;
const RECOVER_MS = 5_000;

function open(url: string, logger: RecordingLogger): RedisConnection {
  return createRedisConnection(
    { url, connectTimeoutMs: 500, keyPrefix: uniquePrefix('redis-outage'), commandTimeoutMs: 300, maxRetryDelayMs: 400 },
    logger,
  );
}

function connectionWarnings(logger: RecordingLogger): string[] {
  return logger.at('warn').filter((line) => line.fields.component === 'redis').map((line) => line.message);
}

describe('Redis adapters – the server crashes, then comes back (phases run in order)', () => {
  let server: ThrowawayRedis;
  let connection: RedisConnection;
  let logger: RecordingLogger;
  let cache: RedisCache;
  let health: RedisHealthCheck;
  let events: RedisSseReplayStore;

  beforeAll(async () => {
    server = await ThrowawayRedis.start();
    logger = new RecordingLogger();
    connection = open(server.url, logger);
    cache = new RedisCache(connection.client, { maxValueBytes: 1024 }, logger);
    health = new RedisHealthCheck(connection.client, 200);
    events = new RedisSseReplayStore(connection.client, { retentionPerStream: 10 });
    expect(await connection.waitUntilReady(5_000)).toBe(true);
  });

  afterAll(async () => {
    await connection?.close();
    await server?.kill();
  });

  it('up – a set/get round trip works and health reports up', async () => {
    await cache.set('k', 'v', 10_000);
    expect(await cache.get('k')).toBe('v');
    expect(await health.check()).toMatchObject({ name: 'redis', status: 'up' });
    expect(await events.append('s.1', 'hello')).toBe('s.1_1');
  });

  it('killed – get misses, set and delete resolve, each within 500 ms and without throwing; health down', async () => {
    await server.kill();
    const get = await timed(() => cache.get('k'));
    const set = await timed(() => cache.set('k', 'v2', 10_000));
    const del = await timed(() => cache.delete('k'));
    expect(get.value).toBeUndefined();
    expect(get.ms).toBeLessThan(FAST_MS);
    expect(set.ms).toBeLessThan(FAST_MS);
    expect(del.ms).toBeLessThan(FAST_MS);
    const report = await timed(() => health.check());
    expect(report.value).toMatchObject({ name: 'redis', status: 'down' });
    // Either the client already saw the socket close, or the PING found it unwritable.
    expect(report.value.detail).toMatch(/^(not connected \((reconnecting|connecting|connect|close)\)|PING failed: not connected)$/);
    expect(report.ms).toBeLessThan(FAST_MS);
  });

  it('killed – the event store rejects fast with SseReplayStoreUnavailable (callers decide what to do)', async () => {
    const append = events.append('s.1', 'lost');
    await expect(append).rejects.toBeInstanceOf(SseReplayStoreUnavailable);
    await expect(append).rejects.toMatchObject({ code: 'event_store.unavailable' });
    const replay = await timed(() => events.replayAfter('s.1_1').catch((error: unknown) => error));
    expect(replay.value).toBeInstanceOf(SseReplayStoreUnavailable);
    expect(replay.ms).toBeLessThan(FAST_MS);
  });

  it('still down after many reconnect attempts – the connection warned once for the outage, not per retry', async () => {
    await sleep(1_500);
    expect(connectionWarnings(logger)).toEqual(['redis connection lost; retrying in the background']);
    expect(logger.at('warn').filter((line) => line.message.startsWith('redis cache unavailable'))).toHaveLength(1);
    expect(logger.at('debug').length).toBeGreaterThanOrEqual(3);
  });

  it('restarted on the same port – the cache recovers by itself and health reports up', async () => {
    await server.start();
    const started = Date.now();
    await eventually(async () => {
      await cache.set('after', 'restart', 10_000);
      return (await cache.get('after')) === 'restart' ? true : undefined;
    }, RECOVER_MS);
    expect(Date.now() - started).toBeLessThan(RECOVER_MS);
    expect(await health.check()).toMatchObject({ status: 'up' });
    expect(logger.at('info').map((line) => line.message)).toContain('redis available again');
    // The server came back empty: the stream is gone, so resuming is refused rather than wrong.
    expect(await events.replayAfter('s.1_1')).toBeUndefined();
  });
});

describe('Redis adapters – the server hangs (SIGSTOP)', () => {
  let server: ThrowawayRedis;
  let connection: RedisConnection;
  let cache: RedisCache;
  let health: RedisHealthCheck;

  beforeAll(async () => {
    server = await ThrowawayRedis.start();
    connection = open(server.url, new RecordingLogger());
    cache = new RedisCache(connection.client, { maxValueBytes: 1024 }, new RecordingLogger());
    health = new RedisHealthCheck(connection.client, 200);
    expect(await connection.waitUntilReady(5_000)).toBe(true);
  });

  afterAll(async () => {
    server?.thaw();
    await connection?.close();
    await server?.kill();
  });

  it('frozen – get misses and set resolves within the command timeout; health down on the PING timeout; thawed – back', async () => {
    await cache.set('k', 'v', 10_000);
    server.freeze();
    const get = await timed(() => cache.get('k'));
    const set = await timed(() => cache.set('k', 'v2', 10_000));
    expect(get.value).toBeUndefined();
    expect(get.ms).toBeLessThan(FAST_MS + 300);
    expect(set.ms).toBeLessThan(FAST_MS + 300);
    expect(await health.check()).toEqual({ name: 'redis', status: 'down', detail: 'no PING reply within 200 ms' });
    server.thaw();
    await eventually(async () => ((await cache.get('k')) === 'v2' ? true : undefined), RECOVER_MS);
    expect(await health.check()).toMatchObject({ status: 'up' });
  });
});

describe('Redis connection – Redis is down at start-up', () => {
  let server: ThrowawayRedis;
  let connection: RedisConnection;

  afterAll(async () => {
    await connection?.close();
    await server?.kill();
  });

  it('starts without throwing, misses while down, connects once Redis appears, and close stops retrying', async () => {
    server = await ThrowawayRedis.start();
    await server.kill();
    const logger = new RecordingLogger();
    connection = open(server.url, logger);
    const cache = new RedisCache(connection.client, { maxValueBytes: 1024 }, logger);
    const health = new RedisHealthCheck(connection.client, 200);
    expect(await connection.waitUntilReady(300)).toBe(false);
    expect(await cache.get('k')).toBeUndefined();
    expect((await health.check()).status).toBe('down');
    await sleep(800);
    expect(connectionWarnings(logger)).toEqual(['redis unavailable; retrying in the background']);

    await server.start();
    expect(await connection.waitUntilReady(RECOVER_MS)).toBe(true);
    await cache.set('k', 'v', 10_000);
    expect(await cache.get('k')).toBe('v');

    await connection.close();
    expect(connection.status).toBe('end');
    await server.kill();
    await sleep(600);
    // Closing is not an outage: no new warning, and no reconnect attempts after close.
    expect(connectionWarnings(logger)).toHaveLength(1);
    expect(connection.status).toBe('end');
  });
});

import { InMemorySseReplayStore } from '../../src/infrastructure/messaging/memory/in-memory-sse-replay-store.js';
import { RedisSseReplayStore } from '../../src/infrastructure/messaging/redis/redis-sse-replay-store.js';
import { createRedisConnection, type RedisConnection } from '../../src/infrastructure/cache/redis-connection.js';
import { RecordingLogger } from '../support/builders.js';
import { describeWithServices, servicesAvailable, withServices } from '../support/with-services.js';
import { deleteKeys, keysUnder, REDIS_URL, sleep, uniquePrefix } from '../integration/redis/redis-test-support.js';
import { describeSseReplayStoreContract } from './sse-replay-store.contract.js';

const FILE_PREFIX = uniquePrefix('sse-replay-store-contract');
const connections: RedisConnection[] = [];

async function connect(): Promise<RedisConnection> {
  const connection = createRedisConnection({ url: REDIS_URL, connectTimeoutMs: 2_000, keyPrefix: FILE_PREFIX }, new RecordingLogger());
  connections.push(connection);
  if (!(await connection.waitUntilReady(5_000))) throw new Error(`redis not ready at ${REDIS_URL} (bash scripts/services.sh up)`);
  return connection;
}

if (servicesAvailable) afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await deleteKeys(FILE_PREFIX);
  expect(await keysUnder(FILE_PREFIX)).toEqual([]);
});

describeSseReplayStoreContract('InMemorySseReplayStore', {
  create: async (retention) => new InMemorySseReplayStore(retention),
});

withServices(describeSseReplayStoreContract)('RedisSseReplayStore', {
  create: async (retentionPerStream) => new RedisSseReplayStore((await connect()).client, { retentionPerStream }),
  replica: async (retentionPerStream) => new RedisSseReplayStore((await connect()).client, { retentionPerStream }),
});

describeWithServices('RedisSseReplayStore – redis specifics', () => {
  it('idle ttl – every key of a stream and its session index expires after the idle time, then the id is unknown', async () => {
    const connection = await connect();
    const store = new RedisSseReplayStore(connection.client, { retentionPerStream: 10, idleTtlMs: 300, namespace: 'idle:' });
    const id = await store.append('sess-idle.1', 'x');
    const keys = await keysUnder(`${FILE_PREFIX}idle:`);
    expect(keys.sort()).toEqual([`${FILE_PREFIX}idle:session:sess-idle`, `${FILE_PREFIX}idle:stream:sess-idle.1`]);
    for (const key of keys) expect(await connection.client.pttl(key.slice(FILE_PREFIX.length))).toBeGreaterThan(0);
    await sleep(450);
    expect(await keysUnder(`${FILE_PREFIX}idle:`)).toEqual([]);
    expect(await store.replayAfter(id)).toBeUndefined();
  });

  it('dropSession – removes the session index and its streams from redis, leaving other sessions', async () => {
    const connection = await connect();
    const store = new RedisSseReplayStore(connection.client, { retentionPerStream: 10, namespace: 'drop:' });
    await store.append('s1.1', 1);
    await store.append('s1.2', 1);
    await store.append('s2.1', 1);
    await store.dropSession('s1');
    expect((await keysUnder(`${FILE_PREFIX}drop:`)).sort()).toEqual([`${FILE_PREFIX}drop:session:s2`, `${FILE_PREFIX}drop:stream:s2.1`]);
  });

  it('retention 0 – ids still increase, but nothing can be resumed (undefined, never a silent gap)', async () => {
    const store = new RedisSseReplayStore((await connect()).client, { retentionPerStream: 0, namespace: 'zero:' });
    const first = await store.append('z.1', 1);
    const second = await store.append('z.1', 2);
    expect([first, second]).toEqual(['z.1_1', 'z.1_2']);
    expect(await store.replayAfter(first)).toBeUndefined();
    expect(await store.replayAfter(second)).toBeUndefined();
  });

  it('retention – the stream is trimmed to exactly the retention', async () => {
    const connection = await connect();
    const store = new RedisSseReplayStore(connection.client, { retentionPerStream: 3, namespace: 'trim:' });
    for (let seq = 1; seq <= 10; seq += 1) await store.append('t.1', seq);
    expect(await connection.client.xlen('trim:stream:t.1')).toBe(3);
    // Holds 8, 9, 10: after 7 nothing is missing; after 6, event 7 is gone.
    expect((await store.replayAfter('t.1_7'))?.events.map((event) => event.message)).toEqual([8, 9, 10]);
    expect(await store.replayAfter('t.1_6')).toBeUndefined();
  });
});

import { StorageType, type JetStreamManager, type NatsConnection as NatsClient } from 'nats';
import { NatsAdapterError } from '../../../src/infrastructure/messaging/nats/nats-errors.js';
import { ensureStream, type StreamOptions } from '../../../src/infrastructure/messaging/nats/stream-setup.js';
import { adminClient, deleteStream, testStreamOptions } from './nats-test-support.js';

const SECOND_NS = 1_000_000_000;

describe('ensureStream (real NATS)', () => {
  let nc: NatsClient;
  let jsm: JetStreamManager;
  let stream: StreamOptions;

  beforeAll(async () => {
    ({ nc, jsm } = await adminClient());
  });

  beforeEach(() => {
    stream = testStreamOptions({ maxAgeMs: 60_000, duplicateWindowMs: 30_000 });
  });

  afterEach(async () => {
    await deleteStream(jsm, stream.name);
  });

  afterAll(async () => {
    await nc.close();
  });

  it('ensureStream - missing stream - creates it with the configured subject, limits and storage', async () => {
    await expect(ensureStream(jsm, stream)).resolves.toBe('created');

    const { config } = await jsm.streams.info(stream.name);
    expect(config.subjects).toEqual([`${stream.subjectPrefix}.>`]);
    expect(config.retention).toBe('limits');
    expect(config.storage).toBe('memory');
    expect(config.max_age).toBe(60 * SECOND_NS);
    expect(config.duplicate_window).toBe(30 * SECOND_NS);
  });

  it('ensureStream - run again with the same options - changes nothing', async () => {
    await ensureStream(jsm, stream);

    await expect(ensureStream(jsm, stream)).resolves.toBe('unchanged');
    await expect(ensureStream(jsm, stream)).resolves.toBe('unchanged');
  });

  it('ensureStream - changed max age and duplicate window - updates the stream in place and keeps its messages', async () => {
    await ensureStream(jsm, stream);
    await nc.jetstream().publish(`${stream.subjectPrefix}.kept.v1`, new Uint8Array([1]));

    await expect(ensureStream(jsm, { ...stream, maxAgeMs: 120_000, duplicateWindowMs: 90_000 })).resolves.toBe('updated');

    const info = await jsm.streams.info(stream.name);
    expect(info.config.max_age).toBe(120 * SECOND_NS);
    expect(info.config.duplicate_window).toBe(90 * SECOND_NS);
    expect(info.state.messages).toBe(1);
  });

  it('ensureStream - stream has an extra subject an operator added - adds ours back and keeps theirs', async () => {
    await jsm.streams.add({ name: stream.name, subjects: [`${stream.subjectPrefix}-ops.>`], storage: StorageType.Memory, max_age: 60 * SECOND_NS, duplicate_window: 30 * SECOND_NS });

    await expect(ensureStream(jsm, stream)).resolves.toBe('updated');

    expect((await jsm.streams.info(stream.name)).config.subjects).toEqual([`${stream.subjectPrefix}-ops.>`, `${stream.subjectPrefix}.>`]);
  });

  it('ensureStream - several instances starting at once - all succeed and one stream exists', async () => {
    const instances = await Promise.all([1, 2, 3, 4].map(() => adminClient()));
    const outcomes = await Promise.all(instances.map((instance) => ensureStream(instance.jsm, stream))).finally(() =>
      Promise.all(instances.map((instance) => instance.nc.close())),
    );

    expect(outcomes.every((o) => o === 'created' || o === 'unchanged')).toBe(true);
    const names: string[] = [];
    for await (const name of jsm.streams.names(`${stream.subjectPrefix}.x`)) names.push(name);
    expect(names).toEqual([stream.name]);
  });

  it('ensureStream - storage differs from the existing stream - rejects naming both values, stream untouched', async () => {
    await ensureStream(jsm, stream);

    const error = await ensureStream(jsm, { ...stream, storage: 'file' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NatsAdapterError);
    expect((error as NatsAdapterError).code).toBe('nats.stream_setup');
    expect((error as Error).message).toContain('storage is memory, config asks file');
    expect((await jsm.streams.info(stream.name)).config.storage).toBe('memory');
  });

  it('ensureStream - retention differs - rejects with a message that says it cannot change in place', async () => {
    await ensureStream(jsm, stream);

    await expect(ensureStream(jsm, { ...stream, retention: 'workqueue' })).rejects.toThrow(/retention is limits, config asks workqueue.*cannot change/);
  });

  it('ensureStream - duplicate window longer than max age - rejects before calling the server', async () => {
    await expect(ensureStream(jsm, { ...stream, maxAgeMs: 10_000, duplicateWindowMs: 20_000 })).rejects.toThrow(
      'duplicate_window_ms (20000) must not exceed max_age_ms (10000)',
    );

    await expect(jsm.streams.info(stream.name)).rejects.toThrow('stream not found');
  });

  it('ensureStream - subjects already captured by another stream - rejects with the server reason', async () => {
    const other = { ...testStreamOptions(), subjectPrefix: stream.subjectPrefix };
    await ensureStream(jsm, other);
    try {
      await expect(ensureStream(jsm, stream)).rejects.toThrow(
        `cannot create stream ${stream.name} (subjects ${stream.subjectPrefix}.>): subjects overlap with an existing stream`,
      );
    } finally {
      await deleteStream(jsm, other.name);
    }
  });
});

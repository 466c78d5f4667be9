import type { JetStreamClient, JetStreamManager, NatsConnection as NatsClient } from 'nats';
import { domainEvent, type DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { decodeEnvelope } from '../../../src/infrastructure/messaging/nats/event-envelope.js';
import { NatsConnection } from '../../../src/infrastructure/messaging/nats/nats-connection.js';
import { NatsAdapterError } from '../../../src/infrastructure/messaging/nats/nats-errors.js';
import { NatsEventPublisher } from '../../../src/infrastructure/messaging/nats/nats-event-publisher.js';
import { ensureStream, type StreamOptions } from '../../../src/infrastructure/messaging/nats/stream-setup.js';
import { RecordingLogger } from '../../support/builders.js';
import { addDurable, adminClient, closedPort, deleteStream, NATS_URL, pullDurable, suffix, testStreamOptions } from './nats-test-support.js';

const at = new Date('2025-06-01T10:00:00.000Z');
let n = 0;
function sessionEvent(type: string, sessionId = 's-1', data: unknown = {}): DomainEvent {
  n += 1;
  return domainEvent('session', sessionId, type, data, { id: `pub-${suffix()}-${n}`, occurredAt: at }, sessionId);
}

describe('NatsEventPublisher (real NATS)', () => {
  let admin: { nc: NatsClient; jsm: JetStreamManager; js: JetStreamClient };
  let stream: StreamOptions;
  let connection: NatsConnection;
  let logger: RecordingLogger;

  beforeAll(async () => {
    admin = await adminClient();
  });

  beforeEach(() => {
    stream = testStreamOptions();
    logger = new RecordingLogger();
    connection = new NatsConnection({ url: NATS_URL, name: 'tfo-mcp publisher test' }, logger);
    connection.start();
  });

  afterEach(async () => {
    await connection.close();
    await deleteStream(admin.jsm, stream.name);
  });

  afterAll(async () => {
    await admin.nc.close();
  });

  function publisher(overrides: Partial<ConstructorParameters<typeof NatsEventPublisher>[1]> = {}) {
    return new NatsEventPublisher(connection, { subjectPrefix: stream.subjectPrefix, source: 'tfo-mcp-test', stream, ackTimeoutMs: 2_000, ...overrides });
  }

  it('publish - stores each event on its type subject with the dedupe id and event headers', async () => {
    await ensureStream(admin.jsm, stream);
    const durable = await addDurable(admin.jsm, stream.name);
    const events = [sessionEvent('session.created', 's-1', { transport: 'http' }), sessionEvent('session.log_level_changed', 's-1', { level: 'debug' })];

    await publisher().publish(events);

    const messages = await pullDurable(admin.js, stream.name, durable, 2);
    expect(messages.map((m) => m.subject)).toEqual([`${stream.subjectPrefix}.session.created.v1`, `${stream.subjectPrefix}.session.log_level_changed.v1`]);
    const [first] = messages;
    expect(first.headers?.get('Nats-Msg-Id')).toBe(events[0].id);
    expect(first.headers?.get('Content-Type')).toBe('application/json');
    expect(first.headers?.get('Tfo-Event-Type')).toBe('session.created');
    expect(first.headers?.get('Tfo-Event-Version')).toBe('1');
    expect(decodeEnvelope(first.data)).toEqual({
      id: events[0].id,
      type: 'session.created',
      version: 1,
      source: 'tfo-mcp-test',
      occurred_at: '2025-06-01T10:00:00.000Z',
      aggregate_type: 'session',
      aggregate_id: 's-1',
      session_id: 's-1',
      data: { transport: 'http' },
    });
  });

  it('publish - a large batch - every event acknowledged, stored once each in batch order', async () => {
    await ensureStream(admin.jsm, stream);
    const durable = await addDurable(admin.jsm, stream.name);
    const events = Array.from({ length: 1_000 }, (_, i) => sessionEvent('session.log_level_changed', `s-${i % 7}`, { level: `l${i}` }));

    await publisher({ maxInFlight: 64 }).publish(events);

    expect((await admin.jsm.streams.info(stream.name)).state.messages).toBe(1_000);
    const stored = await pullDurable(admin.js, stream.name, durable, 1_000);
    expect(stored.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual(events.map((e) => e.id));
  });

  it('publish - stream missing when the first batch comes - creates it, then publishes', async () => {
    await expect(admin.jsm.streams.info(stream.name)).rejects.toThrow('stream not found');

    await publisher().publish([sessionEvent('session.ready')]);

    expect((await admin.jsm.streams.info(stream.name)).state.messages).toBe(1);
  });

  it('publish - stream deleted while running - that batch rejects, the next one recreates the stream', async () => {
    const p = publisher();
    await p.publish([sessionEvent('session.ready')]);
    await admin.jsm.streams.delete(stream.name);

    await expect(p.publish([sessionEvent('session.closing', 's-1', { reason: 'x' })])).rejects.toThrow(/no responders/);
    await p.publish([sessionEvent('session.closed', 's-1', { reason: 'x', durationMs: 1 })]);

    expect((await admin.jsm.streams.info(stream.name)).state.messages).toBe(1);
  });

  it('publish - no stream captures the subject and no stream options - rejects naming the subject', async () => {
    const event = sessionEvent('session.ready');

    const error = await publisher({ stream: undefined }).publish([event]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NatsAdapterError);
    expect((error as NatsAdapterError).code).toBe('nats.publish_failed');
    expect((error as Error).message).toContain(`1 rejected, first ${event.id} (${stream.subjectPrefix}.session.ready.v1): no responders`);
  });

  it('publish - an event type that is not a valid subject - rejects before anything is sent', async () => {
    await ensureStream(admin.jsm, stream);

    await expect(publisher().publish([sessionEvent('session.ready'), sessionEvent('session.bad type')])).rejects.toThrow(/not a dot-separated list/);

    expect((await admin.jsm.streams.info(stream.name)).state.messages).toBe(0);
  });

  it('publish - NATS refuses connections - rejects in bounded time with a clear error and no credentials', async () => {
    const port = await closedPort();
    const down = new NatsConnection({ url: `nats://admin:hunter2@127.0.0.1:${port}`, name: 'down', reconnectWaitMs: 100, reconnectJitterMs: 50 }, logger);
    down.start();
    const p = new NatsEventPublisher(down, { subjectPrefix: stream.subjectPrefix, source: 'tfo-mcp-test', stream, ackTimeoutMs: 500 });
    const started = Date.now();

    const error = await p.publish([sessionEvent('session.ready')]).catch((e: unknown) => e);
    await down.close();

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(NatsAdapterError);
    const message = (error as Error).message;
    expect(message).toContain(`publishing 1 event(s) to NATS at nats://127.0.0.1:${port} stream ${stream.name} failed`);
    expect(message).toContain('not connected within 500 ms');
    expect(message).toContain('connection refused (ECONNREFUSED)');
    expect(`${message}\n${logger.text()}`).not.toMatch(/hunter2|admin:/);
  });

  it('publish - after close - rejects saying the connection is closed', async () => {
    const p = publisher();
    await connection.close();

    await expect(p.publish([sessionEvent('session.ready')])).rejects.toThrow(/connection to nats:\/\/127\.0\.0\.1:\d+ is closed/);
  });

  it('publish - an empty batch - resolves without needing a connection', async () => {
    const idle = new NatsConnection({ url: NATS_URL, name: 'idle' }, logger);

    await expect(new NatsEventPublisher(idle, { subjectPrefix: stream.subjectPrefix, source: 's' }).publish([])).resolves.toBeUndefined();
  });
});

import { OutboxRelay } from '../../../src/application/events/outbox-relay.js';
import type { EventPublisher } from '../../../src/application/ports/event-publisher.js';
import { domainEvent, type DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { decodeEnvelope } from '../../../src/infrastructure/messaging/nats/event-envelope.js';
import { NatsConnection } from '../../../src/infrastructure/messaging/nats/nats-connection.js';
import { NatsEventPublisher } from '../../../src/infrastructure/messaging/nats/nats-event-publisher.js';
import { ensureStream } from '../../../src/infrastructure/messaging/nats/stream-setup.js';
import { InMemoryOutbox } from '../../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { RecordingLogger } from '../../support/builders.js';
import { addDurable, adminClient, OwnNatsServer, pullDurable, suffix, testStreamOptions, waitFor } from './nats-test-support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wraps the real publisher. Counts what the relay hands over (retries included) and, on request,
 * loses one PubAck: the batch is stored by NATS but the relay is told it failed, as when the
 * connection drops between store and ack. Until `reopen()`, later batches fail the same way, so the
 * relay can only retry the lost batch against the restarted server: its dedupe must hold across restart.
 */
class LossyAckPublisher implements EventPublisher {
  handed = 0;
  lostAcks = 0;
  private lose: (() => void) | undefined;
  private cut = false;

  constructor(private readonly inner: EventPublisher) {}

  loseNextAck(): Promise<void> {
    return new Promise((resolve) => (this.lose = resolve));
  }

  reopen(): void {
    this.cut = false;
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    this.handed += events.length;
    if (this.cut) throw new Error('connection lost (simulated)');
    await this.inner.publish(events);
    const lost = this.lose;
    if (!lost) return;
    this.lose = undefined;
    this.cut = true;
    this.lostAcks += events.length;
    lost();
    throw new Error('PubAck lost (simulated)');
  }
}

// The real fault: a NATS server of this test's own (never the shared one) is stopped with SIGTERM
// while events keep being appended, then restarted on the same port and store.
describe('OutboxRelay → NatsEventPublisher across a NATS restart', () => {
  let server: OwnNatsServer;
  let connection: NatsConnection | undefined;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    server = await OwnNatsServer.create();
    await server.start();
  });

  afterAll(async () => {
    await relay?.stop(100);
    await connection?.close(1_000);
    await server.dispose();
  });

  it('relay - server stopped and restarted mid-stream - the stream stores every event exactly once; the durable consumer gets each, in order (redeliveries only of pre-restart acks)', async () => {
    const logger = new RecordingLogger();
    const stream = testStreamOptions({ storage: 'file', duplicateWindowMs: 60_000 });
    const setup = await adminClient(server.url);
    await ensureStream(setup.jsm, stream);
    const durable = await addDurable(setup.jsm, stream.name, 'projector');
    await setup.nc.close();

    connection = new NatsConnection({ url: server.url, name: 'relay under test', reconnectWaitMs: 100, reconnectJitterMs: 100, connectTimeoutMs: 1_000 }, logger);
    connection.start();
    const publisher = new LossyAckPublisher(
      new NatsEventPublisher(connection, { subjectPrefix: stream.subjectPrefix, source: 'tfo-mcp-test', stream, ackTimeoutMs: 1_000 }),
    );
    const outbox = new InMemoryOutbox(100_000, logger);
    relay = new OutboxRelay(outbox, publisher, logger, { batchSize: 25, maxAttempts: 1_000, baseBackoffMs: 50, maxBackoffMs: 400 });
    relay.start();

    const appended: string[] = [];
    let appending = true;
    const run = suffix();
    const appender = (async () => {
      for (let i = 0; appending; i += 3) {
        // Three aggregates per append, as a handler saving several would.
        const events = [0, 1, 2].map((k) =>
          domainEvent('conversation', `c-${k}`, 'conversation.message_added', { messageId: `m-${i + k}`, role: 'user', contentTypes: ['text'] }, { id: `${run}-${i + k}`, occurredAt: new Date() }),
        );
        appended.push(...events.map((e) => e.id));
        await outbox.append(events);
        await sleep(5);
      }
    })();

    await sleep(1_000);
    // The projector reads part of the stream before the outage; its acked position must survive the restart.
    const early = await adminClient(server.url);
    const before: string[] = [];
    for await (const m of await (await early.js.consumers.get(stream.name, durable)).fetch({ max_messages: 100, expires: 1_000 })) {
      before.push(decodeEnvelope(m.data).id);
      await m.ackAck();
    }
    await early.nc.close();
    await publisher.loseNextAck();
    await server.stop();
    publisher.reopen();
    const atStop = appended.length;
    await sleep(1_500);
    const appendedWhileDown = appended.length - atStop;
    await server.start();
    await sleep(1_000);
    appending = false;
    await appender;
    await waitFor(async () => (await outbox.pending()) === 0, 10_000, 'the outbox to drain');

    const reader = await adminClient(server.url);
    try {
      const messages = await pullDurable(reader.js, stream.name, durable, appended.length - before.length, { timeoutMs: 5_000 });
      const after = messages.map((m) => decodeEnvelope(m.data).id);
      expect(before.length).toBeGreaterThan(0);
      // What the relay owes: the stream stores every event exactly once (Nats-Msg-Id dedupe).
      expect((await reader.jsm.streams.info(stream.name)).state.messages).toBe(appended.length);
      // What the consumer sees: NATS 2.9 sometimes loses a durable's ack floor on a restart and
      // redelivers messages acked just before it; that is at-least-once delivery, which consumers
      // absorb by being idempotent on the event id. Redeliveries may only be of those messages.
      const redelivered = after.filter((id) => before.includes(id));
      const received = [...before, ...after.filter((id) => !before.includes(id))];
      expect(redelivered.length === 0 || redelivered.every((id, i) => id === before[i])).toBe(true);
      expect(new Set(after).size).toBe(after.length);
      expect(received).toEqual(appended);
      expect(messages.every((m) => m.headers?.get('Nats-Msg-Id') === decodeEnvelope(m.data).id)).toBe(true);
    } finally {
      await reader.nc.close();
    }
    // The outage was real: a stored batch was retried after the restart, publishes failed while the
    // server was down, and nothing was parked.
    expect(publisher.lostAcks).toBeGreaterThan(0);
    expect(appendedWhileDown).toBeGreaterThan(150);
    expect(logger.at('warn').filter((l) => l.message === 'event publish failed; will retry').length).toBeGreaterThan(0);
    expect(publisher.handed).toBeGreaterThan(appended.length);
    expect(outbox.parkedCount()).toBe(0);
  }, 25_000);
});

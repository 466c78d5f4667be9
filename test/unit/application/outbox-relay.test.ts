import { OutboxRelay, type OutboxRelayOptions } from '../../../src/application/events/outbox-relay.js';
import type { EventPublisher } from '../../../src/application/ports/event-publisher.js';
import type { DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { InMemoryEventPublisher } from '../../../src/infrastructure/messaging/memory/in-memory-event-publisher.js';
import { InMemoryOutbox } from '../../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { RecordingLogger, testEvents } from '../../support/builders.js';
import { waitFor } from '../../support/test-app.js';

/**
 * The real in-memory publisher behind a switch that makes the next `failures` publishes reject,
 * the way a broker outage would. Every attempt is counted.
 */
class FlakyPublisher implements EventPublisher {
  attempts = 0;

  constructor(
    readonly inner: InMemoryEventPublisher,
    private failures: number,
  ) {}

  async publish(events: readonly DomainEvent[]): Promise<void> {
    this.attempts += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('broker unavailable');
    }
    await this.inner.publish(events);
  }
}

function setup(options: Partial<OutboxRelayOptions> = {}, failures = 0) {
  const logger = new RecordingLogger();
  const outbox = new InMemoryOutbox(10_000, logger);
  const sink = new InMemoryEventPublisher(10_000);
  const publisher = new FlakyPublisher(sink, failures);
  const relay = new OutboxRelay(outbox, publisher, logger, { batchSize: 100, maxAttempts: 5, baseBackoffMs: 2, maxBackoffMs: 20, ...options });
  const delivered: string[] = [];
  sink.subscribe((event) => delivered.push(event.id));
  return { logger, outbox, sink, publisher, relay, delivered };
}

describe('OutboxRelay', () => {
  let relays: OutboxRelay[] = [];
  afterEach(async () => {
    await Promise.all(relays.map((relay) => relay.stop(100)));
    relays = [];
  });

  function started(options: Partial<OutboxRelayOptions> = {}, failures = 0) {
    const s = setup(options, failures);
    relays.push(s.relay);
    s.relay.start();
    return s;
  }

  it('events appended after start - published in append order and marked published', async () => {
    const { outbox, delivered } = started();

    await outbox.append(testEvents(3, 'a'));
    await outbox.append(testEvents(2, 'b'));

    await waitFor(() => delivered.length === 5, '5 deliveries');
    expect(delivered).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
    await waitFor(async () => (await outbox.pending()) === 0, 'an empty outbox');
  });

  it('events appended before start - published on start', async () => {
    const s = setup();
    relays.push(s.relay);
    await s.outbox.append(testEvents(4));

    s.relay.start();

    await waitFor(() => s.delivered.length === 4, '4 deliveries');
    expect(s.delivered).toEqual(['e1', 'e2', 'e3', 'e4']);
  });

  it('more events than one batch - every batch is published, in order', async () => {
    const { outbox, delivered, publisher } = started({ batchSize: 3 });

    await outbox.append(testEvents(10));

    await waitFor(() => delivered.length === 10, '10 deliveries');
    expect(delivered).toEqual(testEvents(10).map((e) => e.id));
    expect(publisher.attempts).toBe(4);
  });

  it('publisher fails twice then recovers - every event delivered exactly once, in order, after backoff', async () => {
    const { outbox, delivered, publisher, logger } = started({ baseBackoffMs: 2 }, 2);

    await outbox.append(testEvents(5));

    await waitFor(() => delivered.length >= 5, '5 deliveries');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(delivered).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(publisher.attempts).toBe(3);
    expect(logger.at('warn').filter((l) => l.message === 'event publish failed; will retry').map((l) => l.fields['attempt'])).toEqual([1, 2]);
    expect(await outbox.pending()).toBe(0);
    expect(outbox.parkedCount()).toBe(0);
  });

  it('events appended while a retry is pending - delivered once the publisher recovers, none duplicated', async () => {
    const { outbox, delivered, publisher } = started({ baseBackoffMs: 15 }, 1);

    await outbox.append(testEvents(2, 'a'));
    await waitFor(() => publisher.attempts === 1, 'the first (failed) attempt');
    await outbox.append(testEvents(2, 'b'));
    expect(delivered).toEqual([]);

    await waitFor(() => delivered.length >= 4, '4 deliveries');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(delivered).toEqual(['a1', 'a2', 'b1', 'b2']);
  });

  it('publisher never recovers - parked after maxAttempts, logged as an error, nothing pending', async () => {
    const { outbox, publisher, logger, sink } = started({ maxAttempts: 3, baseBackoffMs: 1 }, Number.POSITIVE_INFINITY);

    await outbox.append(testEvents(2));

    await waitFor(() => outbox.parkedCount() === 2, '2 parked events');
    expect(publisher.attempts).toBe(3);
    expect(await outbox.pending()).toBe(0);
    expect(sink.published).toBe(0);
    expect(logger.at('error')).toEqual([
      expect.objectContaining({ message: 'outbox entries parked after repeated publish failures', fields: expect.objectContaining({ ids: ['e1', 'e2'] }) }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(publisher.attempts).toBe(3);
  });

  it('stop - with events appended but not yet relayed - drains them before resolving', async () => {
    const s = setup();
    await s.outbox.append(testEvents(7));

    await s.relay.stop(1_000);

    expect(s.delivered).toEqual(testEvents(7).map((e) => e.id));
    expect(await s.outbox.pending()).toBe(0);
  });

  it('stop - right after appends on a running relay - everything is published exactly once', async () => {
    const s = setup({ batchSize: 2 });
    s.relay.start();
    await s.outbox.append(testEvents(9));

    await s.relay.stop(1_000);

    expect(s.delivered).toEqual(testEvents(9).map((e) => e.id));
  });

  it('stop - publisher down - gives up within the timeout and warns with the pending count', async () => {
    const s = setup({ maxAttempts: 100 }, Number.POSITIVE_INFINITY);
    await s.outbox.append(testEvents(3));

    const started = Date.now();
    await s.relay.stop(200);

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(s.logger.at('warn')).toContainEqual(expect.objectContaining({ message: 'outbox relay stopped with unpublished events', fields: { pending: 3 } }));
  });

  it('after stop - new appends are not published', async () => {
    const s = setup();
    s.relay.start();
    await s.relay.stop(100);

    await s.outbox.append(testEvents(1));
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(s.delivered).toEqual([]);
    expect(await s.outbox.pending()).toBe(1);
  });
});

describe('OutboxRelay – destination outages', () => {
  it('a destination unreachable for more attempts than maxAttempts (transient failures) – nothing parked; all delivered once it is back', async () => {
    const logger = new RecordingLogger();
    const outbox = new InMemoryOutbox(1000, logger);
    const sink = new InMemoryEventPublisher(100);
    let outage = 8;
    const flaky: EventPublisher = {
      async publish(events) {
        if (outage > 0) {
          outage -= 1;
          throw Object.assign(new Error('broker unreachable'), { transient: true });
        }
        await sink.publish(events);
      },
    };
    const relay = new OutboxRelay(outbox, flaky, logger, { batchSize: 100, maxAttempts: 3, baseBackoffMs: 1, maxBackoffMs: 5 });
    relay.start();
    await outbox.append(testEvents(4));
    await waitFor(() => sink.recent().length === 4, 'all four events delivered after the outage');
    expect(outbox.parkedCount()).toBe(0);
    expect(outage).toBe(0);
    await relay.stop(100);
  });

  it('a destination that rejects (not transient) – parked after maxAttempts, loudly', async () => {
    const logger = new RecordingLogger();
    const outbox = new InMemoryOutbox(1000, logger);
    const rejecting: EventPublisher = {
      async publish() {
        throw new Error('message rejected: too large');
      },
    };
    const relay = new OutboxRelay(outbox, rejecting, logger, { batchSize: 100, maxAttempts: 3, baseBackoffMs: 1, maxBackoffMs: 5 });
    relay.start();
    await outbox.append(testEvents(2));
    await waitFor(() => outbox.parkedCount() === 2, 'both events parked');
    expect(logger.lines.some((l) => l.level === 'error' && /parked/.test(l.message))).toBe(true);
    await relay.stop(100);
  });
});

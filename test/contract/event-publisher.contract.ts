import type { EventPublisher } from '../../src/application/ports/event-publisher.js';
import { domainEvent, type DomainEvent } from '../../src/domain/shared/domain-event.js';

/** One adapter under test, with a way to see what a subscriber outside the publisher sees. */
export interface PublisherUnderTest {
  readonly publisher: EventPublisher;
  /**
   * Everything a subscriber has received so far, in arrival order, once at least `count` events
   * arrived (or a few seconds passed) and a short quiet period showed nothing more is coming.
   */
  observe(count: number): Promise<DomainEvent[]>;
  /** How many events the publisher's backend holds right now, without waiting. */
  acceptedCount(): Promise<number>;
  dispose(): Promise<void>;
}

const T = Date.parse('2025-06-01T10:00:00.000Z');
let serial = 0;

function event(type: string, aggregateType: string, aggregateId: string, data: unknown, sessionId?: string): DomainEvent {
  serial += 1;
  const meta = { id: `evt-${serial}-${Math.random().toString(36).slice(2, 8)}`, occurredAt: new Date(T + serial) };
  return domainEvent(aggregateType, aggregateId, type, data, meta, sessionId);
}

const ids = (events: readonly DomainEvent[]) => events.map((e) => e.id);

export function eventPublisherContract(name: string, setup: () => Promise<PublisherUnderTest>): void {
  describe(`EventPublisher contract: ${name}`, () => {
    let sut: PublisherUnderTest;

    beforeEach(async () => {
      sut = await setup();
    });

    afterEach(async () => {
      await sut.dispose();
    });

    it('publish - every event of a batch is observed exactly once', async () => {
      const batch = [1, 2, 3, 4, 5].map((n) => event('session.log_level_changed', 'session', 's-1', { level: `l${n}` }, 's-1'));

      await sut.publisher.publish(batch);

      expect(ids(await sut.observe(batch.length))).toEqual(ids(batch));
    });

    it('publish - resolves only once the events are accepted', async () => {
      const batch = [event('session.created', 'session', 's-1', { transport: 'stdio' }, 's-1'), event('session.ready', 'session', 's-1', {}, 's-1')];

      await sut.publisher.publish(batch);

      await expect(sut.acceptedCount()).resolves.toBe(2);
    });

    it('publish - keeps each aggregate’s order across interleaved batches', async () => {
      const aggregates = ['a', 'b', 'c'];
      const all = Array.from({ length: 30 }, (_, i) =>
        event('conversation.message_added', 'conversation', aggregates[i % 3], { messageId: `m${i}`, role: 'user', contentTypes: ['text'] }),
      );

      for (let start = 0; start < all.length; start += 7) await sut.publisher.publish(all.slice(start, start + 7));
      const seen = await sut.observe(all.length);

      expect(seen).toHaveLength(all.length);
      for (const aggregate of aggregates) {
        const of = (events: readonly DomainEvent[]) => ids(events.filter((e) => e.aggregateId === aggregate));
        expect(of(seen)).toEqual(of(all));
      }
    });

    it('publish - the payload and envelope fields round-trip unchanged', async () => {
      const batch = [
        event('session.initialized', 'session', 's-9', {
          protocolVersion: '2025-06-18',
          requestedProtocolVersion: '2025-06-18',
          clientInfo: { name: 'Claude “Desktop” ✓', version: '1.0.0' },
          clientCapabilities: { roots: { listChanged: true }, sampling: {}, nested: [1, null, 'x\n"y"'] },
        }, 's-9'),
        event('tool.registered', 'tool', 'read_file', { name: 'read_file', annotations: { readOnlyHint: true } }),
        { ...event('tool.failed', 'tool_execution', 'x-1', { executionId: 'x-1', tool: 'ls', durationMs: 12, outcome: 'error', error: 'boom', retryable: false }, 's-9'), version: 2 },
      ];

      await sut.publisher.publish(batch);

      expect(await sut.observe(batch.length)).toEqual(batch);
    });

    it('publish - an empty batch resolves and publishes nothing', async () => {
      await sut.publisher.publish([]);

      expect(await sut.observe(0)).toEqual([]);
    });

    it('publish - an event published again (a retried batch) is observed once', async () => {
      const [e1, e2, e3] = [1, 2, 3].map((n) => event('tool.executed', 'tool_execution', `x-${n}`, { executionId: `x-${n}`, tool: 'ls', durationMs: n, outcome: 'success' }, 's-1'));

      await sut.publisher.publish([e1, e2]);
      await sut.publisher.publish([e2, e3]);

      expect(ids(await sut.observe(3))).toEqual(ids([e1, e2, e3]));
    });
  });
}

import type { Outbox } from '../../src/application/ports/outbox.js';
import type { DomainEvent } from '../../src/domain/shared/domain-event.js';
import { testEvent, testEvents } from '../support/builders.js';

export interface OutboxFixture {
  readonly outbox: Outbox;
  teardown?(): Promise<void>;
}

export interface SharedOutboxFixture extends OutboxFixture {
  /** A second, independent instance over the same storage (another process's relay). */
  readonly other: Outbox;
}

/** Claims and acknowledges everything pending: what has been appended so far, oldest first. */
export async function drainOutbox(outbox: Outbox): Promise<DomainEvent[]> {
  const events: DomainEvent[] = [];
  for (;;) {
    const batch = await outbox.claim(500);
    if (batch.length === 0) return events;
    await outbox.markPublished(batch.map((entry) => entry.event.id));
    events.push(...batch.map((entry) => entry.event));
  }
}

/** Resolves once `condition` holds; rejects after `timeoutMs` (adapters may deliver asynchronously). */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 3_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const ids = (entries: readonly { event: { id: string } }[]) => entries.map((entry) => entry.event.id);

/** The Outbox port's behaviour, as the relay relies on it. */
export function describeOutboxContract(name: string, factory: () => Promise<OutboxFixture>): void {
  describe(`Outbox contract: ${name}`, () => {
    let fx: OutboxFixture;
    beforeEach(async () => {
      fx = await factory();
    });
    afterEach(async () => {
      await fx.teardown?.();
    });

    it('claim - empty outbox - returns nothing', async () => {
      await expect(fx.outbox.claim(10)).resolves.toEqual([]);
      await expect(fx.outbox.pending()).resolves.toBe(0);
    });

    it('claim - returns entries oldest first, up to the limit, each once, with attempts 0', async () => {
      await fx.outbox.append(testEvents(5));

      const first = await fx.outbox.claim(3);
      const second = await fx.outbox.claim(3);
      const third = await fx.outbox.claim(3);

      expect(ids(first)).toEqual(['e1', 'e2', 'e3']);
      expect(ids(second)).toEqual(['e4', 'e5']);
      expect(third).toEqual([]);
      expect([...first, ...second].map((entry) => entry.attempts)).toEqual([0, 0, 0, 0, 0]);
    });

    it('claim - returns the whole envelope as appended', async () => {
      const event: DomainEvent = {
        ...testEvent('full-1', { text: 'quotes \' " and ünïcode ✓', nested: { list: [1, 2.5, null, true] } }),
        sessionId: 's-1',
      };
      await fx.outbox.append([event]);

      const [entry] = await fx.outbox.claim(1);

      expect(entry?.event).toEqual(event);
    });

    it('append - several appends - claimed in append order', async () => {
      await fx.outbox.append(testEvents(2, 'a'));
      await fx.outbox.append([]);
      await fx.outbox.append(testEvents(2, 'b'));

      expect(ids(await fx.outbox.claim(10))).toEqual(['a1', 'a2', 'b1', 'b2']);
    });

    it('pending - counts queued and claimed-but-unacknowledged entries', async () => {
      await fx.outbox.append(testEvents(4));
      await fx.outbox.claim(3);

      await expect(fx.outbox.pending()).resolves.toBe(4);
    });

    it('markPublished - acknowledged entries leave the outbox for good', async () => {
      await fx.outbox.append(testEvents(3));
      const batch = await fx.outbox.claim(2);

      await fx.outbox.markPublished(ids(batch));

      await expect(fx.outbox.pending()).resolves.toBe(1);
      expect(ids(await fx.outbox.claim(10))).toEqual(['e3']);
    });

    it('markPublished - ids never claimed - ignored; the entry is still offered', async () => {
      await fx.outbox.append(testEvents(1));

      await fx.outbox.markPublished(['e1', 'ghost']);

      await expect(fx.outbox.pending()).resolves.toBe(1);
      expect(ids(await fx.outbox.claim(10))).toEqual(['e1']);
    });

    it('release - entries go back to the front with attempts counted, and are claimed again first', async () => {
      await fx.outbox.append(testEvents(4));
      const batch = await fx.outbox.claim(2);

      await expect(fx.outbox.release(ids(batch), 'broker down', 5)).resolves.toEqual({ parked: [] });

      const again = await fx.outbox.claim(10);
      expect(ids(again)).toEqual(['e1', 'e2', 'e3', 'e4']);
      expect(again.map((entry) => entry.attempts)).toEqual([1, 1, 0, 0]);
      await expect(fx.outbox.pending()).resolves.toBe(4);
    });

    it('release - at maxAttempts - parks exactly those entries; they are never offered again nor pending', async () => {
      await fx.outbox.append(testEvents(3));
      for (let attempt = 1; attempt < 3; attempt += 1) {
        const batch = await fx.outbox.claim(2);
        await expect(fx.outbox.release(ids(batch), 'broker down', 3)).resolves.toEqual({ parked: [] });
      }

      const last = await fx.outbox.claim(2);
      expect(last.map((entry) => entry.attempts)).toEqual([2, 2]);
      await expect(fx.outbox.release(ids(last), 'broker down', 3)).resolves.toEqual({ parked: ['e1', 'e2'] });

      await expect(fx.outbox.pending()).resolves.toBe(1);
      expect(ids(await fx.outbox.claim(10))).toEqual(['e3']);
    });

    it('backlog - empty: nothing pending, no age; then pending, parked and the age of the oldest waiting entry', async () => {
      await expect(fx.outbox.backlog()).resolves.toEqual({ pending: 0, oldestAgeSeconds: 0, parked: 0 });
      await fx.outbox.append(testEvents(3));
      const batch = await fx.outbox.claim(2);
      await fx.outbox.release(ids(batch), 'rejected', 1);
      const backlog = await fx.outbox.backlog();
      expect(backlog).toMatchObject({ pending: 1, parked: 2 });
      expect(backlog.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(backlog.oldestAgeSeconds)).toBe(true);
      await drainOutbox(fx.outbox);
      await expect(fx.outbox.backlog()).resolves.toEqual({ pending: 0, oldestAgeSeconds: 0, parked: 2 });
    });

    it('release - maxAttempts 1 - the first failure parks', async () => {
      await fx.outbox.append(testEvents(1));
      const batch = await fx.outbox.claim(1);

      await expect(fx.outbox.release(ids(batch), 'poison', 1)).resolves.toEqual({ parked: ['e1'] });

      await expect(fx.outbox.claim(10)).resolves.toEqual([]);
    });

    it('release - ids that were not claimed - ignored', async () => {
      await fx.outbox.append(testEvents(1));

      await expect(fx.outbox.release(['e1', 'ghost'], 'x', 1)).resolves.toEqual({ parked: [] });

      const again = await fx.outbox.claim(10);
      expect(ids(again)).toEqual(['e1']);
      expect(again[0]?.attempts).toBe(0);
    });

    it('release - an entry already published - ignored, never parked', async () => {
      await fx.outbox.append(testEvents(1));
      const batch = await fx.outbox.claim(1);
      await fx.outbox.markPublished(ids(batch));

      await expect(fx.outbox.release(ids(batch), 'late failure', 1)).resolves.toEqual({ parked: [] });

      await expect(fx.outbox.pending()).resolves.toBe(0);
      await expect(fx.outbox.claim(10)).resolves.toEqual([]);
    });

    it('onAppend - a listener is woken after a non-empty append', async () => {
      let woken = 0;
      fx.outbox.onAppend(() => (woken += 1));
      // Adapters that subscribe asynchronously get a moment to do so before the append.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = woken;

      await fx.outbox.append(testEvents(1));

      await eventually(() => woken > before, 3_000, 'the append listener');
    });

    it('claim/markPublished loop - 1,200 entries in batches - every entry once, in order', async () => {
      const all = testEvents(1_200);
      await fx.outbox.append(all);

      const seen = await drainOutbox(fx.outbox);

      expect(seen.map((event) => event.id)).toEqual(all.map((event) => event.id));
      await expect(fx.outbox.pending()).resolves.toBe(0);
    });
  });
}

/** Several outbox instances over one store (relays in several processes). */
export function describeSharedOutboxContract(name: string, factory: () => Promise<SharedOutboxFixture>): void {
  describe(`Outbox contract, shared storage: ${name}`, () => {
    let fx: SharedOutboxFixture;
    beforeEach(async () => {
      fx = await factory();
    });
    afterEach(async () => {
      await fx.teardown?.();
    });

    it('claim - two instances claiming at once - never return the same entry, and together return all', async () => {
      const all = testEvents(400);
      await fx.outbox.append(all);

      const drain = async (outbox: Outbox) => {
        const claimed: string[] = [];
        for (;;) {
          const batch = await outbox.claim(7);
          if (batch.length === 0) return claimed;
          claimed.push(...ids(batch));
          await outbox.markPublished(ids(batch));
        }
      };
      const [a, b] = await Promise.all([drain(fx.outbox), drain(fx.other)]);

      expect(a.filter((id) => b.includes(id))).toEqual([]);
      expect([...a, ...b].sort()).toEqual(all.map((event) => event.id).sort());
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
    });

    it('claim - entries another instance holds - are not offered', async () => {
      await fx.outbox.append(testEvents(3));
      const held = await fx.outbox.claim(2);

      expect(ids(await fx.other.claim(10))).toEqual(['e3']);
      await expect(fx.other.pending()).resolves.toBe(3);
      expect(ids(held)).toEqual(['e1', 'e2']);
    });

    it('onAppend - an append through one instance wakes the other', async () => {
      let woken = 0;
      fx.other.onAppend(() => (woken += 1));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = woken;

      await fx.outbox.append(testEvents(1));

      await eventually(() => woken > before, 3_000, 'the other instance to be woken');
    });
  });
}

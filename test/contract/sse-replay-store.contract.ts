import { randomUUID } from 'node:crypto';
import type { SseReplayStore } from '../../src/application/ports/sse-replay-store.js';

export interface SseReplayStoreSubject {
  /** A store keeping `retentionPerStream` events per stream. */
  create(retentionPerStream: number): Promise<SseReplayStore>;
  /**
   * A second store over the same backend ("another replica"). Adapters that keep events in the
   * process have none, and the replica test is not registered for them.
   */
  replica?(retentionPerStream: number): Promise<SseReplayStore>;
}

/** What every SseReplayStore adapter must do; run against the embedded store and against Redis. */
export function describeSseReplayStoreContract(adapter: string, subject: SseReplayStoreSubject): void {
  describe(`SseReplayStore contract – ${adapter}`, () => {
    // Fresh session ids per test: a shared backend must never let one test's streams answer another's.
    let session: string;
    beforeEach(() => {
      session = randomUUID();
    });

    it('append – ids are <streamId>_<seq>, increasing per stream from 1', async () => {
      const store = await subject.create(100);
      const ids = [await store.append(`${session}.1`, 'a'), await store.append(`${session}.1`, 'b'), await store.append(`${session}.2`, 'c')];
      expect(ids).toEqual([`${session}.1_1`, `${session}.1_2`, `${session}.2_1`]);
    });

    it('replayAfter – later events of that stream only, oldest first, messages intact', async () => {
      const store = await subject.create(100);
      const first = await store.append(`${session}.1`, { jsonrpc: '2.0', method: 'notifications/progress', params: { n: 1 } });
      await store.append(`${session}.2`, { other: true });
      const messages = [{ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'héllo ✓' }] } }, null, 'text', 42, [1, { a: [] }]];
      const ids: string[] = [];
      for (const message of messages) ids.push(await store.append(`${session}.1`, message));
      await store.append(`${session}.2`, { other: 'again' });
      const replay = await store.replayAfter(first);
      expect(replay).toEqual({ streamId: `${session}.1`, events: messages.map((message, i) => ({ eventId: ids[i], message })) });
    });

    it('replayAfter – the newest id – nothing missed, an empty list', async () => {
      const store = await subject.create(100);
      await store.append(`${session}.1`, 1);
      const newest = await store.append(`${session}.1`, 2);
      expect(await store.replayAfter(newest)).toEqual({ streamId: `${session}.1`, events: [] });
    });

    it('replayAfter – unknown stream, malformed id, or a sequence not yet issued – undefined', async () => {
      const store = await subject.create(100);
      await store.append(`${session}.1`, {});
      for (const id of [`${session}.9_1`, 'garbage', `${session}.1_x`, `${session}.1_99`, `_1`, '', `${session}.1`]) {
        expect(await store.replayAfter(id)).toBeUndefined();
      }
    });

    it('retention exceeded – the client missed events no longer held – undefined rather than a silent gap', async () => {
      const store = await subject.create(2);
      const first = await store.append(`${session}.1`, 1);
      const second = await store.append(`${session}.1`, 2);
      await store.append(`${session}.1`, 3);
      await store.append(`${session}.1`, 4);
      expect(await store.replayAfter(first)).toBeUndefined();
      expect((await store.replayAfter(second))?.events.map((event) => event.message)).toEqual([3, 4]);
    });

    it('dropSession – forgets every stream of that session and no other session’s', async () => {
      const store = await subject.create(10);
      const other = `${session}x`; // shares a prefix, so a naive prefix match would take it too
      const mine = [await store.append(`${session}.1`, 1), await store.append(`${session}.2`, 1)];
      await store.append(`${session}.1`, 2);
      await store.append(`${session}.2`, 2);
      const theirs = await store.append(`${other}.1`, 1);
      await store.append(`${other}.1`, 2);
      await store.dropSession(session);
      for (const id of mine) expect(await store.replayAfter(id)).toBeUndefined();
      expect((await store.replayAfter(theirs))?.events.map((event) => event.message)).toEqual([2]);
      await expect(store.dropSession(randomUUID())).resolves.toBeUndefined();
    });

    it('dropSession then append – the stream starts again from 1', async () => {
      const store = await subject.create(10);
      await store.append(`${session}.1`, 'before');
      await store.dropSession(session);
      expect(await store.append(`${session}.1`, 'after')).toBe(`${session}.1_1`);
    });

    it('dropSession – streams are matched by "<sessionId>." prefix, so dotted session ids work', async () => {
      const store = await subject.create(10);
      const nested = [await store.append(`${session}.a.1`, 1), await store.append(`${session}.b.1`, 1)];
      await store.append(`${session}.a.1`, 2);
      await store.append(`${session}.b.1`, 2);
      await store.dropSession(`${session}.a`);
      expect(await store.replayAfter(nested[0])).toBeUndefined();
      expect((await store.replayAfter(nested[1]))?.events).toHaveLength(1);
      await store.dropSession(session);
      expect(await store.replayAfter(nested[1])).toBeUndefined();
    });

    if (subject.replica) it('another replica – sees the first one’s events and continues its sequence', async () => {
      const one = await subject.create(100);
      const two = await subject.replica!(100);
      const first = await one.append(`${session}.1`, 'from one');
      const second = await two.append(`${session}.1`, 'from two');
      expect(second).toBe(`${session}.1_2`);
      await one.append(`${session}.1`, 'from one again');
      expect((await two.replayAfter(first))?.events.map((event) => event.message)).toEqual(['from two', 'from one again']);
      await two.dropSession(session);
      expect(await one.replayAfter(first)).toBeUndefined();
    });
  });
}

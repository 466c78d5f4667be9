import { InMemorySseReplayStore } from '../../../src/infrastructure/messaging/memory/in-memory-sse-replay-store.js';

describe('InMemorySseReplayStore', () => {
  it('append – ids name their stream and increase – replayAfter returns only later events of that stream, in order', async () => {
    const store = new InMemorySseReplayStore(100);
    const a1 = await store.append('s1.1', { n: 1 });
    await store.append('s1.2', { other: true });
    const a2 = await store.append('s1.1', { n: 2 });
    const a3 = await store.append('s1.1', { n: 3 });
    expect(a1).toBe('s1.1_1');
    const replay = await store.replayAfter(a1);
    expect(replay).toEqual({ streamId: 's1.1', events: [{ eventId: a2, message: { n: 2 } }, { eventId: a3, message: { n: 3 } }] });
    expect((await store.replayAfter(a3))?.events).toEqual([]);
  });

  it('replayAfter – unknown stream, malformed id, or a sequence not yet issued – undefined', async () => {
    const store = new InMemorySseReplayStore(100);
    await store.append('s1.1', {});
    expect(await store.replayAfter('nope_1')).toBeUndefined();
    expect(await store.replayAfter('garbage')).toBeUndefined();
    expect(await store.replayAfter('s1.1_99')).toBeUndefined();
    expect(await store.replayAfter('s1.1_x')).toBeUndefined();
  });

  it('retention exceeded – the client missed events no longer held – undefined rather than a silent gap', async () => {
    const store = new InMemorySseReplayStore(2);
    const first = await store.append('s.1', 1);
    const second = await store.append('s.1', 2);
    await store.append('s.1', 3);
    await store.append('s.1', 4);
    expect(await store.replayAfter(first)).toBeUndefined();
    expect((await store.replayAfter(second))?.events.map((e) => e.message)).toEqual([3, 4]);
  });

  it('dropSession – forgets only that session’s streams', async () => {
    const store = new InMemorySseReplayStore(10);
    const mine = await store.append('abc.1', 1);
    await store.append('abc.1', 2);
    const theirs = await store.append('abcd.1', 1);
    await store.append('abcd.1', 2);
    await store.dropSession('abc');
    expect(await store.replayAfter(mine)).toBeUndefined();
    expect((await store.replayAfter(theirs))?.events).toHaveLength(1);
  });
});

import { InMemoryOutbox } from '../../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { RecordingLogger, testEvents } from '../../support/builders.js';

function setup(capacity = 1_000) {
  const logger = new RecordingLogger();
  return { logger, outbox: new InMemoryOutbox(capacity, logger) };
}

const ids = (entries: { event: { id: string } }[]) => entries.map((entry) => entry.event.id);

describe('InMemoryOutbox', () => {
  it('claim - returns entries oldest first, up to the limit, each once', async () => {
    const { outbox } = setup();
    await outbox.append(testEvents(5));

    const first = await outbox.claim(3);
    const second = await outbox.claim(3);
    const third = await outbox.claim(3);

    expect(ids(first)).toEqual(['e1', 'e2', 'e3']);
    expect(ids(second)).toEqual(['e4', 'e5']);
    expect(third).toEqual([]);
    expect(first[0]?.attempts).toBe(0);
  });

  it('pending - counts queued and claimed-but-unacknowledged entries', async () => {
    const { outbox } = setup();
    await outbox.append(testEvents(4));
    await outbox.claim(3);

    await expect(outbox.pending()).resolves.toBe(4);
  });

  it('markPublished - acknowledged entries leave the outbox for good', async () => {
    const { outbox } = setup();
    await outbox.append(testEvents(3));
    const batch = await outbox.claim(2);

    await outbox.markPublished(ids(batch));

    await expect(outbox.pending()).resolves.toBe(1);
    expect(ids(await outbox.claim(10))).toEqual(['e3']);
  });

  it('release - entries go back to the front with attempts counted, and are claimed again first', async () => {
    const { outbox } = setup();
    await outbox.append(testEvents(4));
    const batch = await outbox.claim(2);

    await expect(outbox.release(ids(batch), 'broker down', 5)).resolves.toEqual({ parked: [] });

    const again = await outbox.claim(10);
    expect(ids(again)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(again.map((entry) => entry.attempts)).toEqual([1, 1, 0, 0]);
    expect(outbox.parkedCount()).toBe(0);
  });

  it('release - at maxAttempts - parks the entries, logs an error, and never offers them again', async () => {
    const { outbox, logger } = setup();
    await outbox.append(testEvents(3));
    for (let attempt = 1; attempt < 3; attempt += 1) {
      const batch = await outbox.claim(2);
      await expect(outbox.release(ids(batch), 'broker down', 3)).resolves.toEqual({ parked: [] });
    }

    const last = await outbox.claim(2);
    await expect(outbox.release(ids(last), 'broker down', 3)).resolves.toEqual({ parked: ['e1', 'e2'] });

    expect(outbox.parkedCount()).toBe(2);
    expect(ids(await outbox.claim(10))).toEqual(['e3']);
    expect(logger.at('error')).toEqual([
      expect.objectContaining({ message: 'outbox entries parked after repeated publish failures', fields: { ids: ['e1', 'e2'], error: 'broker down' } }),
    ]);
  });

  it('release - ids that were not claimed - ignored', async () => {
    const { outbox } = setup();
    await outbox.append(testEvents(1));

    await expect(outbox.release(['e1', 'ghost'], 'x', 1)).resolves.toEqual({ parked: [] });

    expect(outbox.parkedCount()).toBe(0);
    expect(ids(await outbox.claim(10))).toEqual(['e1']);
  });

  it('capacity reached - the oldest unpublished entries are dropped and counted; a warning is logged once', async () => {
    const { outbox, logger } = setup(3);

    await outbox.append(testEvents(5));

    expect(outbox.dropped).toBe(2);
    await expect(outbox.pending()).resolves.toBe(3);
    expect(ids(await outbox.claim(10))).toEqual(['e3', 'e4', 'e5']);
    expect(logger.at('warn')).toEqual([expect.objectContaining({ message: expect.stringContaining('in-memory outbox full'), fields: { dropped: 1, capacity: 3 } })]);
  });

  it('capacity reached - claimed entries count towards it; a queued one is dropped, not an in-flight one', async () => {
    const { outbox } = setup(3);
    await outbox.append(testEvents(2, 'a'));
    const inFlight = await outbox.claim(1);
    await outbox.append(testEvents(2, 'b'));

    expect(outbox.dropped).toBe(1);
    await outbox.markPublished(ids(inFlight));
    expect(ids(await outbox.claim(10))).toEqual(['b1', 'b2']);
  });

  it('onAppend - every listener is woken once per non-empty append, never for an empty one', async () => {
    const { outbox } = setup();
    let first = 0;
    let second = 0;
    outbox.onAppend(() => (first += 1));
    outbox.onAppend(() => (second += 1));

    await outbox.append(testEvents(3));
    await outbox.append([]);
    await outbox.append(testEvents(1, 'x'));

    expect([first, second]).toEqual([2, 2]);
  });

  it('many claims - order and counts survive internal compaction', async () => {
    const { outbox } = setup(100_000);
    await outbox.append(testEvents(10_000));

    const seen: string[] = [];
    for (;;) {
      const batch = await outbox.claim(1_000);
      if (batch.length === 0) break;
      seen.push(...ids(batch));
      await outbox.markPublished(ids(batch));
    }

    expect(seen).toEqual(testEvents(10_000).map((e) => e.id));
    await expect(outbox.pending()).resolves.toBe(0);
  });
});

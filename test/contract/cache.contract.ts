import type { Cache } from '../../src/application/ports/cache.js';

export interface CacheSubject {
  /**
   * A cache limited to `maxValueBytes`, its keys under `prefix`. Two prefixes are two namespaces:
   * for Redis two key prefixes on one server, for the embedded cache two instances.
   */
  create(options: { prefix: string; maxValueBytes: number }): Promise<Cache>;
}

const LONG_TTL = 60_000;
const SHORT_TTL = 80;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What every Cache adapter must do; run against the embedded cache and against Redis. */
export function describeCacheContract(adapter: string, subject: CacheSubject): void {
  describe(`Cache contract – ${adapter}`, () => {
    let cache: Cache;
    let run = 0;
    // Each test gets its own prefixes, so nothing one test leaves behind can answer another's get.
    const prefix = (name: string): string => `t${run}:${name}:`;

    beforeEach(async () => {
      run += 1;
      cache = await subject.create({ prefix: prefix('a'), maxValueBytes: 16 });
    });

    it('get – key never set – miss (undefined)', async () => {
      expect(await cache.get('never-set')).toBeUndefined();
    });

    it('set then get – hit with the exact value, including non-ASCII and empty strings', async () => {
      await cache.set('k', 'value-1', LONG_TTL);
      await cache.set('uni', 'héllo ✓', LONG_TTL);
      await cache.set('empty', '', LONG_TTL);
      expect(await cache.get('k')).toBe('value-1');
      expect(await cache.get('uni')).toBe('héllo ✓');
      expect(await cache.get('empty')).toBe('');
      expect(await cache.get('K')).toBeUndefined();
    });

    it('ttl – elapsed – miss; not yet elapsed – hit', async () => {
      await cache.set('short', 'x', SHORT_TTL);
      await cache.set('long', 'y', LONG_TTL);
      expect(await cache.get('short')).toBe('x');
      await sleep(SHORT_TTL + 120);
      expect(await cache.get('short')).toBeUndefined();
      expect(await cache.get('long')).toBe('y');
    });

    it('overwrite – second set wins, with its own ttl', async () => {
      await cache.set('k', 'old', SHORT_TTL);
      await cache.set('k', 'new', LONG_TTL);
      expect(await cache.get('k')).toBe('new');
      await sleep(SHORT_TTL + 120);
      expect(await cache.get('k')).toBe('new');
    });

    it('ttl under 1 ms – not stored, and the old value is gone', async () => {
      await cache.set('k', 'old', LONG_TTL);
      await cache.set('k', 'new', 0);
      expect(await cache.get('k')).toBeUndefined();
    });

    it('delete – the key misses afterwards; deleting a missing key resolves', async () => {
      await cache.set('k', 'v', LONG_TTL);
      await cache.set('other', 'w', LONG_TTL);
      await cache.delete('k');
      await expect(cache.delete('missing')).resolves.toBeUndefined();
      expect(await cache.get('k')).toBeUndefined();
      expect(await cache.get('other')).toBe('w');
    });

    it('value size – at the limit stored; over it (UTF-8 bytes) not stored, and the old value is gone', async () => {
      await cache.set('fits', 'x'.repeat(16), LONG_TTL);
      await cache.set('too-big', 'x'.repeat(17), LONG_TTL);
      // 9 characters, 18 bytes: the limit is bytes, not characters.
      await cache.set('multibyte', 'é'.repeat(9), LONG_TTL);
      await cache.set('replaced', 'small', LONG_TTL);
      await cache.set('replaced', 'y'.repeat(17), LONG_TTL);
      expect(await cache.get('fits')).toBe('x'.repeat(16));
      expect(await cache.get('too-big')).toBeUndefined();
      expect(await cache.get('multibyte')).toBeUndefined();
      expect(await cache.get('replaced')).toBeUndefined();
    });

    it('prefixes – another prefix neither sees nor deletes these keys', async () => {
      const other = await subject.create({ prefix: prefix('b'), maxValueBytes: 16 });
      await cache.set('shared-name', 'mine', LONG_TTL);
      expect(await other.get('shared-name')).toBeUndefined();
      await other.set('shared-name', 'theirs', LONG_TTL);
      await other.delete('shared-name');
      expect(await cache.get('shared-name')).toBe('mine');
    });
  });
}

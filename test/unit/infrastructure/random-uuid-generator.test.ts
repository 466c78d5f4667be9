import { RandomUuidGenerator } from '../../../src/infrastructure/system/random-uuid-generator.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('RandomUuidGenerator', () => {
  it('ids - RFC 4122 version 4 text (lower-case hex, version 4, variant 10) across several pool refills', () => {
    const ids = new RandomUuidGenerator();
    const seen = Array.from({ length: 2000 }, () => ids.next());

    expect(seen.filter((id) => !V4.test(id))).toEqual([]);
  });

  it('ids - all distinct, also between two generators', () => {
    const a = new RandomUuidGenerator();
    const b = new RandomUuidGenerator();
    const all = new Set<string>();
    for (let i = 0; i < 5000; i += 1) {
      all.add(a.next());
      all.add(b.next());
    }

    expect(all.size).toBe(10_000);
  });

  it('the random part - every hex digit position varies (no byte left unfilled or fixed by the pooling)', () => {
    const ids = new RandomUuidGenerator();
    const digits = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 600; i += 1) [...ids.next()].forEach((char, at) => digits[at]!.add(char));

    const fixed = digits.map((set, at) => (set.size === 1 ? at : -1)).filter((at) => at >= 0);
    // Only the four dashes and the version digit are constant; the variant digit takes 4 values.
    expect(fixed).toEqual([8, 13, 14, 18, 23]);
    expect([...digits[19]!].sort()).toEqual(['8', '9', 'a', 'b']);
  });

  it('an id returned earlier - unchanged by later ids (each is its own string, not a view of the buffer)', () => {
    const ids = new RandomUuidGenerator();
    const first = ids.next();
    const copy = `${first}`.slice(0);
    for (let i = 0; i < 1000; i += 1) ids.next();

    expect(first).toBe(copy);
  });
});

import { describe, expect, it } from '@jest/globals';
import type { AuthOutcome } from '../../../src/application/ports/authenticator.js';
import { VerdictCache, type Verdict } from '../../../src/infrastructure/auth/oauth/verdict-cache.js';

const OK: AuthOutcome = { kind: 'rejected', error: 'invalid_token', reason: 'stand-in outcome' };

function counting(verdict: Verdict) {
  const calls = { count: 0 };
  const decide = async (): Promise<Verdict> => {
    calls.count += 1;
    return verdict;
  };
  return { calls, decide };
}

describe('VerdictCache', () => {
  it('a kept verdict – decided once, reused until untilMs, decided again after', async () => {
    const cache = new VerdictCache(10);
    const { calls, decide } = counting({ outcome: OK, untilMs: 2_000 });

    await cache.resolve('k', 1_000, decide);
    await cache.resolve('k', 1_999, decide);
    expect(calls.count).toBe(1);

    await cache.resolve('k', 2_000, decide);
    expect(calls.count).toBe(2);
  });

  it('a verdict without untilMs (transient) or already past – never kept', async () => {
    const cache = new VerdictCache(10);
    const transient = counting({ outcome: OK });
    await cache.resolve('a', 1_000, transient.decide);
    await cache.resolve('a', 1_000, transient.decide);
    const stale = counting({ outcome: OK, untilMs: 500 });
    await cache.resolve('b', 1_000, stale.decide);
    await cache.resolve('b', 1_000, stale.decide);

    expect([transient.calls.count, stale.calls.count]).toEqual([2, 2]);
    expect(cache.size).toBe(0);
  });

  it('concurrent callers of an undecided key – share one decision', async () => {
    const cache = new VerdictCache(10);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const decide = async (): Promise<Verdict> => {
      calls += 1;
      await gate;
      return { outcome: OK, untilMs: 10_000 };
    };

    const all = Promise.all(Array.from({ length: 25 }, () => cache.resolve('k', 0, decide)));
    release();

    expect(new Set(await all)).toEqual(new Set([OK]));
    expect(calls).toBe(1);
  });

  it('a failed decision – not cached, not left pending: the next caller decides afresh', async () => {
    const cache = new VerdictCache(10);
    await expect(cache.resolve('k', 0, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const { calls, decide } = counting({ outcome: OK, untilMs: 10 });
    await cache.resolve('k', 0, decide);
    expect(calls.count).toBe(1);
  });

  it('full – the oldest entry goes, so memory stays bounded under a flood of distinct tokens', async () => {
    const cache = new VerdictCache(3);
    for (const key of ['a', 'b', 'c', 'd']) await cache.resolve(key, 0, counting({ outcome: OK, untilMs: 100 }).decide);
    expect(cache.size).toBe(3);
    const again = counting({ outcome: OK, untilMs: 100 });
    await cache.resolve('a', 0, again.decide);
    await cache.resolve('d', 0, again.decide);
    expect(again.calls.count).toBe(1);
  });

  it('keyOf – a SHA-256 digest: fixed length, never the token', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.payload.signature';
    const key = VerdictCache.keyOf(token);
    expect(key).toHaveLength(43);
    expect(key).not.toContain('payload');
    expect(VerdictCache.keyOf(token)).toBe(key);
    expect(VerdictCache.keyOf(`${token}x`)).not.toBe(key);
  });
});

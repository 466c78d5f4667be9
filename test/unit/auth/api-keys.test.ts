import { scryptSync } from 'node:crypto';
import { API_KEY_LENGTH, apiKeyIdOf, apiKeyProblem, generateApiKey } from '../../../src/infrastructure/auth/api-keys/api-key-format.js';
import { DEFAULT_SCRYPT, hashApiKey, parseApiKeyHash, verifyApiKey } from '../../../src/infrastructure/auth/api-keys/api-key-hash.js';
import { VerdictCache } from '../../../src/infrastructure/auth/api-keys/verdict-cache.js';

/** Tests hash with the smallest allowed cost; the format carries the parameters, so verify reads them back. */
const FAST = { N: 1024, r: 8, p: 1 };

describe('API key format', () => {
  it('generateApiKey - tfo_ prefix, 12-character public id, 40-character base62 secret; never the same twice', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey());

    for (const key of keys) {
      expect(key).toMatch(/^tfo_[0-9A-Za-z]{12}_[0-9A-Za-z]{40}$/);
      expect(key).toHaveLength(API_KEY_LENGTH);
      expect(apiKeyIdOf(key)).toBe(key.slice(4, 16));
    }
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(keys.map(apiKeyIdOf)).size).toBe(keys.length);
  });

  it('generateApiKey - uses the whole base62 alphabet, roughly evenly', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) for (const char of generateApiKey().slice(17)) counts.set(char, (counts.get(char) ?? 0) + 1);

    expect(counts.size).toBe(62);
    // 12,000 characters over 62 symbols: about 194 each; a folded modulo bias or a stuck symbol would stand out.
    expect(Math.min(...counts.values())).toBeGreaterThan(120);
    expect(Math.max(...counts.values())).toBeLessThan(280);
  });

  it.each([
    ['wrong prefix', `sk_${'a'.repeat(12)}_${'b'.repeat(40)}`, /starts with "tfo_"/],
    ['secret too short', `tfo_${'a'.repeat(12)}_${'b'.repeat(39)}`, /57 characters/],
    ['id too long', `tfo_${'a'.repeat(13)}_${'b'.repeat(40)}`, /57 characters/],
    ['a dash in the secret', `tfo_${'a'.repeat(12)}_${'b'.repeat(39)}-`, /57 characters/],
    ['trailing newline', `tfo_${'a'.repeat(12)}_${'b'.repeat(40)}\n`, /57 characters/],
  ])('apiKeyProblem - %s - named, and no id', (_, key, problem) => {
    expect(apiKeyIdOf(key)).toBeUndefined();
    expect(apiKeyProblem(key)).toMatch(problem);
  });
});

describe('API key hash', () => {
  it('hashApiKey - default cost - scrypt$16384$8$1$<id>.<salt>$<digest>, verifies, never contains the secret', async () => {
    const key = generateApiKey();

    const hash = await hashApiKey(key);

    expect(hash).toMatch(new RegExp(`^scrypt\\$16384\\$8\\$1\\$${apiKeyIdOf(key)}\\.[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
    expect(hash).not.toContain(key.slice(17));
    expect(parseApiKeyHash(hash)).toMatchObject({ ...DEFAULT_SCRYPT, keyId: apiKeyIdOf(key) });
    await expect(verifyApiKey(key, hash)).resolves.toBe(true);
  });

  it('hashApiKey - the same key twice - different salts, both verify', async () => {
    const key = generateApiKey();

    const [a, b] = await Promise.all([hashApiKey(key, FAST), hashApiKey(key, FAST)]);

    expect(a).not.toBe(b);
    await expect(verifyApiKey(key, a)).resolves.toBe(true);
    await expect(verifyApiKey(key, b)).resolves.toBe(true);
  });

  it('verifyApiKey - another key, one changed character, another key with the same id - false', async () => {
    const key = generateApiKey();
    const hash = await hashApiKey(key, FAST);
    const last = key.at(-1) === 'a' ? 'b' : 'a';

    await expect(verifyApiKey(generateApiKey(), hash)).resolves.toBe(false);
    await expect(verifyApiKey(key.slice(0, -1) + last, hash)).resolves.toBe(false);
    await expect(verifyApiKey(`${key.slice(0, 17)}${generateApiKey().slice(17)}`, hash)).resolves.toBe(false);
  });

  it('hashApiKey - not a tfo_ key - refused (a key without an id could never be found again)', async () => {
    await expect(hashApiKey('my-own-password')).rejects.toThrow(/tfo_<id>_<secret>/);
  });

  it.each([
    ['the key itself', () => generateApiKey()],
    ['bcrypt', () => '$2b$12$abcdefghijklmnopqrstuuQ0cXQ1pUsGJh6s7Vd1JHq3X7r7yV5hW'],
    ['N not a power of two', () => 'scrypt$1000$8$1$aaaaaaaaaaaa.AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43)],
    ['N above 2^20 (gigabytes per check)', () => 'scrypt$2097152$8$1$aaaaaaaaaaaa.AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43)],
    ['N below 2^10', () => 'scrypt$512$8$1$aaaaaaaaaaaa.AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43)],
    ['no key id in the salt', () => 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43)],
    ['short digest', () => 'scrypt$16384$8$1$aaaaaaaaaaaa.AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(42)],
  ])('parseApiKeyHash - %s - not a hash, and verifyApiKey says false', async (_, make) => {
    const hash = make();

    expect(parseApiKeyHash(hash)).toBeUndefined();
    await expect(verifyApiKey(generateApiKey(), hash)).resolves.toBe(false);
  });

  it('verifyApiKey - wrong secrets for a known id - time does not depend on how many leading characters match', async () => {
    const key = generateApiKey();
    const hash = await hashApiKey(key, FAST);
    const secret = key.slice(17);
    const flip = (char: string) => (char === 'a' ? 'b' : 'a');
    // Wrong secrets sharing 0, 20 and 39 leading characters with the real one.
    const wrong = [0, 20, 39].map((shared) => `${key.slice(0, 17)}${secret.slice(0, shared)}${flip(secret[shared])}${secret.slice(shared + 1)}`);

    const medians = await interleavedMedians(wrong.map((candidate) => () => verifyApiKey(candidate, hash)), 31);

    expect(medians.every((median) => median > 0)).toBe(true);
    // Loose on purpose (a shared VM is noisy): an early exit on the first differing character would differ by orders of magnitude.
    expect(Math.max(...medians) / Math.min(...medians)).toBeLessThan(1.5);
  });

  it('verifyApiKey - stored digests sharing 0 or 31 of 32 bytes with the derived one - same time (constant-time compare)', async () => {
    const key = generateApiKey();
    const hash = await hashApiKey(key, FAST);
    const parsed = parseApiKeyHash(hash)!;
    const derived = scryptSync(key, parsed.salt, 32, FAST);
    const storedWith = (differingByte: number) => {
      const digest = Buffer.from(derived);
      digest[differingByte] ^= 0xff;
      return hash.slice(0, hash.lastIndexOf('$') + 1) + digest.toString('base64url');
    };
    const [noneShared, mostShared] = [storedWith(0), storedWith(31)];
    await expect(verifyApiKey(key, noneShared)).resolves.toBe(false);
    await expect(verifyApiKey(key, mostShared)).resolves.toBe(false);

    const medians = await interleavedMedians([() => verifyApiKey(key, noneShared), () => verifyApiKey(key, mostShared)], 31);

    expect(Math.max(...medians) / Math.min(...medians)).toBeLessThan(1.5);
  });
});

describe('VerdictCache', () => {
  it('keyOf - a hash under a per-process salt: never the key, and another cache gives another value', () => {
    const key = generateApiKey();
    const cache = new VerdictCache();

    expect(cache.keyOf(key)).toBe(cache.keyOf(key));
    expect(cache.keyOf(key)).not.toContain(key.slice(4));
    expect(cache.keyOf(key)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new VerdictCache().keyOf(key)).not.toBe(cache.keyOf(key));
  });

  it('get - only for the hash the verdict was reached against', () => {
    const cache = new VerdictCache();
    const entry = cache.keyOf(generateApiKey());
    cache.set(entry, 'hash-1', true);

    expect(cache.get(entry, 'hash-1')).toBe(true);
    expect(cache.get(entry, 'hash-2')).toBeUndefined();
    cache.set(entry, 'hash-1', false);
    expect(cache.get(entry, 'hash-1')).toBe(false);
  });

  it('bounds - a flood of mismatches evicts old mismatches, never the matches', () => {
    const cache = new VerdictCache(2, 3);
    cache.set('good', 'h', true);
    for (let i = 0; i < 50; i++) cache.set(`bad-${i}`, 'h', false);

    expect(cache.size).toBe(4);
    expect(cache.get('good', 'h')).toBe(true);
    expect(cache.get('bad-0', 'h')).toBeUndefined();
    expect(cache.get('bad-49', 'h')).toBe(false);
  });

  it('bounds - the least recently used match goes first', () => {
    const cache = new VerdictCache(2, 2);
    cache.set('a', 'h', true);
    cache.set('b', 'h', true);
    cache.get('a', 'h');
    cache.set('c', 'h', true);

    expect(cache.get('a', 'h')).toBe(true);
    expect(cache.get('b', 'h')).toBeUndefined();
    expect(cache.get('c', 'h')).toBe(true);
  });
});

/** Runs the candidates round-robin (so drift in machine load hits them alike) and returns each one's median in ms. */
async function interleavedMedians(candidates: readonly (() => Promise<unknown>)[], rounds: number): Promise<number[]> {
  const samples: number[][] = candidates.map(() => []);
  for (const candidate of candidates) await candidate();
  for (let round = 0; round < rounds; round++) {
    for (const [index, candidate] of candidates.entries()) {
      const started = process.hrtime.bigint();
      await candidate();
      samples[index].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return samples.map((values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]);
}

import { hash, randomBytes } from 'node:crypto';

/**
 * Remembers whether a presented key matched a stored hash, so a request does not pay scrypt each
 * time. Entries are keyed by SHA-256 of a random per-process salt and the key (one-shot
 * `crypto.hash`: an HMAC object per request was a visible share of an authenticated call, and keys
 * carry ~238 random bits, so nothing is gained from HMAC's construction): the cache never holds a
 * key, and its keys cannot be turned back into one or precomputed elsewhere. Each entry
 * also names the hash it was checked against, so a replaced or removed record is never answered
 * from the cache; revocation and expiry are judged on the live record at every request.
 * Matches and mismatches are kept apart, so a flood of wrong keys cannot evict the right ones.
 */
export class VerdictCache {
  private readonly salt = randomBytes(32).toString('base64url');
  private readonly matches = new Map<string, string>();
  private readonly mismatches = new Map<string, string>();

  constructor(
    private readonly maxMatches = 10_000,
    private readonly maxMismatches = 1_000,
  ) {}

  keyOf(key: string): string {
    return hash('sha256', this.salt + key, 'base64url');
  }

  /** true/false when `cacheKey` was checked against this very `hash`; undefined otherwise. */
  get(cacheKey: string, hash: string): boolean | undefined {
    if (this.matches.get(cacheKey) === hash) return touch(this.matches, cacheKey, hash);
    if (this.mismatches.get(cacheKey) === hash) return !touch(this.mismatches, cacheKey, hash);
    return undefined;
  }

  set(cacheKey: string, hash: string, match: boolean): void {
    const [into, other, max] = match ? [this.matches, this.mismatches, this.maxMatches] : [this.mismatches, this.matches, this.maxMismatches];
    other.delete(cacheKey);
    into.delete(cacheKey);
    into.set(cacheKey, hash);
    // Maps iterate in insertion order: the first key is the least recently used.
    while (into.size > max) into.delete(into.keys().next().value as string);
  }

  get size(): number {
    return this.matches.size + this.mismatches.size;
  }
}

/** Moves an entry to the most recently used end; returns true for use in an expression. */
function touch(map: Map<string, string>, cacheKey: string, hash: string): true {
  map.delete(cacheKey);
  map.set(cacheKey, hash);
  return true;
}

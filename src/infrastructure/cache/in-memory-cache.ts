import type { Cache } from '../../application/ports/cache.js';
import type { Clock } from '../../application/ports/clock.js';
import { SystemClock } from '../system/system-clock.js';
import { isStorable } from './cache-value-policy.js';

export interface InMemoryCacheOptions {
  /** Most entries held at once; the least recently used goes first. 0 stores nothing. */
  readonly maxEntries: number;
  /** Values longer than this (UTF-8 bytes) are not stored. */
  readonly maxValueBytes: number;
}

interface Entry {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * The embedded cache: one process, bounded by entry count. A Map keeps insertion order, so moving an
 * entry to the end on every hit makes the first key the least recently used.
 */
export class InMemoryCache implements Cache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly options: InMemoryCacheOptions,
    private readonly clock: Clock = new SystemClock(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    // Expired entries are evicted when touched; the LRU bound caps what the untouched ones cost.
    if (entry.expiresAt <= this.clock.now().getTime()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    // Even a value we refuse replaces the old one: a get must never answer with a value older than the last set.
    this.entries.delete(key);
    if (!isStorable(value, ttlMs, this.options.maxValueBytes) || this.options.maxEntries <= 0) return;
    this.entries.set(key, { value, expiresAt: this.clock.now().getTime() + ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

import { hash } from 'node:crypto';
import type { AuthOutcome } from '../../../application/ports/authenticator.js';

/** An outcome and how long it holds; without `untilMs` it is not kept (a transient failure). */
export interface Verdict {
  readonly outcome: AuthOutcome;
  readonly untilMs?: number;
}

/**
 * Outcomes per token, so a token is verified once and then costs a hash and a map lookup per
 * request until it expires. Keys are SHA-256 digests: the cache never holds a token. Concurrent
 * requests with a token not yet decided share one verification. Bounded: past `maxEntries` the
 * oldest entry goes (a flood of distinct tokens costs their verification, never memory).
 */
export class VerdictCache {
  private readonly decided = new Map<string, { readonly outcome: AuthOutcome; readonly untilMs: number }>();
  private readonly pending = new Map<string, Promise<AuthOutcome>>();

  constructor(private readonly maxEntries: number) {}

  static keyOf(token: string): string {
    return hash('sha256', token, 'base64url');
  }

  get size(): number {
    return this.decided.size;
  }

  /** The outcome still held for `key` (synchronous: the hot path of a known token awaits nothing). */
  cached(key: string, nowMs: number): AuthOutcome | undefined {
    const hit = this.decided.get(key);
    if (hit === undefined) return undefined;
    if (nowMs < hit.untilMs) return hit.outcome;
    this.decided.delete(key);
    return undefined;
  }

  /** The cached outcome, or the one `decide` produces (shared with concurrent callers, then cached). */
  async resolve(key: string, nowMs: number, decide: () => Promise<Verdict>): Promise<AuthOutcome> {
    const hit = this.cached(key, nowMs);
    if (hit) return hit;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const settled = decide().then((verdict) => {
      if (verdict.untilMs !== undefined && verdict.untilMs > nowMs) this.remember(key, verdict.outcome, verdict.untilMs);
      return verdict.outcome;
    });
    this.pending.set(key, settled);
    try {
      return await settled;
    } finally {
      this.pending.delete(key);
    }
  }

  clear(): void {
    this.decided.clear();
  }

  private remember(key: string, outcome: AuthOutcome, untilMs: number): void {
    if (this.decided.size >= this.maxEntries) {
      const oldest = this.decided.keys().next();
      if (!oldest.done) this.decided.delete(oldest.value);
    }
    this.decided.set(key, { outcome, untilMs });
  }
}

import { randomUUID } from 'node:crypto';
import type { Logger } from '../../application/ports/logger.js';
import type { RateDecision, RateLimiter, RateLimitKey } from '../../application/ports/rate-limiter.js';
import type { ConcurrencySlots } from './concurrency-slots.js';
import type { FlexibleBuckets } from './flexible-buckets.js';
import type { BucketSpec, ClassLimits, RateLimitPlan } from './rate-limit-plan.js';
import type { StoreOutage } from './store-outage.js';

/** Where counting happens: the configured store, or this replica's memory while that store fails. */
export interface LimiterStore {
  readonly buckets: FlexibleBuckets;
  readonly slots: ConcurrencySlots;
}

export interface FlexibleRateLimiterOptions {
  readonly plan: RateLimitPlan;
  /** The configured store's name, for describe(). */
  readonly storeName: string;
  readonly primary: LimiterStore;
  /** Counts instead of `primary` while it fails; absent: fail closed. */
  readonly fallback?: LimiterStore;
  /** A primary call slower than this counts as a failure; absent: no bound (memory cannot hang). */
  readonly timeoutMs?: number;
  readonly outage: StoreOutage;
  readonly logger: Logger;
}

/**
 * No window ends when a slot frees, so a refused call is told to come back shortly; a call usually
 * ends within that. Also what a fail-closed refusal says: the store may be back by then.
 */
export const RETRY_SHORTLY_MS = 1_000;
/** What a fail-closed refusal names: the key that decided it. */
export const FAIL_CLOSED_LIMIT = 'rate_limits.fail_open';

const ALLOWED: RateDecision = Object.freeze({ allowed: true });
const FAIL_CLOSED = Object.freeze({ allowed: false, retryAfterMs: RETRY_SHORTLY_MS, limit: FAIL_CLOSED_LIMIT } as const);
const NOTHING_HELD = Object.freeze({ release: () => undefined });
/** Unknown class names come from configuration, not callers; the bound only keeps a typo-storm finite. */
const MAX_WARNED_CLASSES = 100;

type Counted<T> = { readonly store: LimiterStore; readonly value: T } | undefined;

/** The RateLimiter port over rate-limiter-flexible buckets and concurrency slots, in memory or Redis. */
export class FlexibleRateLimiter implements RateLimiter {
  private readonly warnedClasses = new Set<string>();

  constructor(private readonly options: FlexibleRateLimiterOptions) {}

  async request(key: RateLimitKey): Promise<RateDecision> {
    const { requests } = this.classOf(key);
    return requests ? this.takeAll([requests], key.principalId) : ALLOWED;
  }

  async toolCall(key: RateLimitKey, tool: string): Promise<RateDecision> {
    const specs = [this.classOf(key).toolCalls, this.options.plan.tool(tool)].filter((spec): spec is BucketSpec => spec !== undefined);
    return specs.length > 0 ? this.takeAll(specs, key.principalId) : ALLOWED;
  }

  async acquire(key: RateLimitKey): ReturnType<RateLimiter['acquire']> {
    const cap = this.classOf(key).concurrency;
    if (!cap) return NOTHING_HELD;
    const subject = key.principalId;
    const slot = randomUUID();
    const counted = await this.count(
      (store) => store.slots.take(subject, slot, cap.max),
      // Lost answer: the slot may have been taken after all; give it back rather than hold it to its lease.
      (store) => store.slots.give(subject, slot),
    );
    if (!counted) return FAIL_CLOSED;
    if (!counted.value) return { allowed: false, retryAfterMs: RETRY_SHORTLY_MS, limit: cap.limit };
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        // Not awaited (the call has ended); a failed give leaves the slot to its lease.
        counted.store.slots.give(subject, slot).catch((error: unknown) => {
          this.options.logger.debug('rate limit slot release failed; its lease frees it', { reason: reasonOf(error) });
        });
      },
    };
  }

  describe(): Readonly<Record<string, unknown>> {
    const { plan, storeName, fallback, outage } = this.options;
    if (!plan.enabled) return { enabled: false };
    return { enabled: true, store: storeName, fail_open: fallback !== undefined, ...outage.describe(), ...plan.describe() };
  }

  /** Every bucket must allow the call; the ones taken before a refusal are given back. */
  private async takeAll(specs: readonly BucketSpec[], subject: string): Promise<RateDecision> {
    const taken: { spec: BucketSpec; store: LimiterStore }[] = [];
    for (const spec of specs) {
      const counted = await this.count((store) => store.buckets.take(spec, subject));
      if (counted?.value.allowed) {
        taken.push({ spec, store: counted.store });
        continue;
      }
      await Promise.all(taken.map((held) => held.store.buckets.giveBack(held.spec, subject).catch(() => undefined)));
      const outcome = counted?.value;
      return outcome && !outcome.allowed ? { allowed: false, retryAfterMs: outcome.retryAfterMs, limit: spec.limit } : FAIL_CLOSED;
    }
    return ALLOWED;
  }

  /**
   * `work` against the configured store; when that fails or is too slow, against the fallback (fail
   * open) or not at all (undefined: fail closed). `undo` runs, unawaited, after a failed primary call.
   */
  private async count<T>(work: (store: LimiterStore) => Promise<T>, undo?: (store: LimiterStore) => Promise<void>): Promise<Counted<T>> {
    const { primary, fallback, timeoutMs, outage } = this.options;
    try {
      const value = await (timeoutMs === undefined ? work(primary) : bounded(timeoutMs, work(primary)));
      outage.answered();
      return { store: primary, value };
    } catch (error) {
      outage.failed(reasonOf(error));
      undo?.(primary).catch(() => undefined);
      return fallback ? { store: fallback, value: await work(fallback) } : undefined;
    }
  }

  private classOf(key: RateLimitKey): ClassLimits {
    const { limits, known } = this.options.plan.classFor(key.limitClass);
    if (!known && key.limitClass !== undefined && this.warnedClasses.size < MAX_WARNED_CLASSES && !this.warnedClasses.has(key.limitClass)) {
      this.warnedClasses.add(key.limitClass);
      this.options.logger.warn('rate limit class not configured; rate_limits.default applies', { class: key.limitClass });
    }
    return limits;
  }
}

class StoreTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'StoreTimeout';
  }
}

function bounded<T>(timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeout(timeoutMs)), timeoutMs);
  });
  // A late rejection has no one waiting for it.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A short reason without hosts or credentials, for the log. */
function reasonOf(error: unknown): string {
  if (error instanceof StoreTimeout) return error.message;
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.length > 0) return code;
  if (/not ready|enableOfflineQueue|Stream isn't writeable/i.test(error.message)) return 'not connected';
  if (/timed out/i.test(error.message)) return 'timed out';
  return error.name && error.name !== 'Error' ? error.name : error.message.slice(0, 80);
}

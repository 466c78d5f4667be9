import { isTransientPublishFailure, type EventPublisher } from '../ports/event-publisher.js';
import type { Logger } from '../ports/logger.js';
import { NO_METRICS, type Metrics } from '../ports/metrics.js';
import type { Outbox } from '../ports/outbox.js';

/** An attempt limit no outage reaches (and that fits a SQL integer column). */
const NEVER_PARK = 2_147_483_647;

export interface OutboxRelayOptions {
  readonly batchSize: number;
  readonly maxAttempts: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * Moves events from the outbox to the publisher, off the request path: appends only wake it
 * (coalesced with setImmediate); it publishes a batch, awaits acceptance, then marks it published.
 * A failed publish is released for retry with exponential backoff and parked after maxAttempts.
 */
export class OutboxRelay {
  private scheduled = false;
  private rewake = false;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions,
    /** Publish latency by outcome and parked events (telemetry.metrics). */
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  start(): void {
    this.outbox.onAppend(() => this.wake());
    this.wake();
  }

  /** Drains what is pending (bounded by `timeoutMs`) and stops. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const deadline = Date.now() + timeoutMs;
    await this.running;
    while (Date.now() < deadline && (await this.outbox.pending()) > 0) {
      const progressed = await this.drainOnce();
      if (!progressed) break;
    }
    const left = await this.outbox.pending();
    if (left > 0) this.logger.warn('outbox relay stopped with unpublished events', { pending: left });
  }

  private wake(): void {
    if (this.stopped || this.retryTimer) return;
    // An append during a drain's last (empty) claim must not be missed: drain again afterwards.
    if (this.running) {
      this.rewake = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.running) return;
      this.running = this.drain().finally(() => {
        this.running = undefined;
        if (this.rewake) {
          this.rewake = false;
          this.wake();
        }
      });
    });
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && (await this.drainOnce())) {
        // keep going while batches publish
      }
    } catch (error) {
      // The outbox itself failed (claim/release); a database outbox can: back off and try again.
      this.failures += 1;
      this.logger.error('outbox relay failed to read the outbox; will retry', { error: error instanceof Error ? error.message : String(error) });
      this.scheduleRetry();
    }
  }

  /** Returns whether a batch was published. */
  private async drainOnce(): Promise<boolean> {
    const batch = await this.outbox.claim(this.options.batchSize);
    if (batch.length === 0) return false;
    const ids = batch.map((entry) => entry.event.id);
    const started = this.metrics.relayPublishStarted();
    let published = false;
    try {
      await this.publisher.publish(batch.map((entry) => entry.event));
      published = true;
      this.metrics.relayPublishEnded(started, ids.length, 'ok');
      await this.outbox.markPublished(ids);
      this.failures = 0;
      return true;
    } catch (error) {
      this.failures += 1;
      const message = error instanceof Error ? error.message : String(error);
      const transient = isTransientPublishFailure(error);
      // Published but not marked (the outbox failed): not a publish failure.
      if (!published) this.metrics.relayPublishEnded(started, ids.length, transient ? 'transient' : 'rejected');
      // An outage is retried for as long as it lasts; only rejections count toward parking.
      const { parked } = await this.outbox.release(ids, message, transient ? NEVER_PARK : this.options.maxAttempts);
      if (parked.length > 0) this.metrics.relayParked(parked.length);
      this.logger.warn('event publish failed; will retry', { events: ids.length, attempt: this.failures, transient, error: message });
      this.scheduleRetry();
      return false;
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const base = this.options.baseBackoffMs ?? 100;
    const delay = Math.min(this.options.maxBackoffMs ?? 30_000, base * 2 ** Math.min(this.failures - 1, 16));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wake();
    }, delay);
    this.retryTimer.unref();
  }
}

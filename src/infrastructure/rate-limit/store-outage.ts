import type { Logger } from '../../application/ports/logger.js';

/**
 * Whether the shared store is answering, told to the operator once per outage (a Redis that stays
 * away for an hour must not write a line per request) and once when it is back.
 */
export class StoreOutage {
  private since?: number;
  private failedCalls = 0;

  constructor(
    private readonly logger: Logger,
    private readonly failOpen: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  get ongoing(): boolean {
    return this.since !== undefined;
  }

  failed(reason: string): void {
    this.failedCalls += 1;
    if (this.since !== undefined) {
      this.logger.debug('rate limit store call failed', { reason });
      return;
    }
    this.since = this.now();
    this.logger.warn(
      this.failOpen
        ? 'rate limit store unavailable; failing open: each replica counts in its own memory until it answers'
        : 'rate limit store unavailable; failing closed: limited calls are refused until it answers',
      { reason, fail_open: this.failOpen },
    );
  }

  answered(): void {
    if (this.since === undefined) return;
    this.logger.info('rate limit store available again', { downMs: this.now() - this.since, failedCalls: this.failedCalls });
    this.since = undefined;
    this.failedCalls = 0;
  }

  describe(): Record<string, unknown> {
    return this.since === undefined
      ? { store_state: 'up' }
      : { store_state: 'unavailable', unavailable_since: new Date(this.since).toISOString(), failed_calls: this.failedCalls };
  }
}

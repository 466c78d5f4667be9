import type { Pool } from 'pg';
import type { Logger } from '../../../application/ports/logger.js';
import { ListenConnection } from './listen-connection.js';
import { describePgError } from './pg-errors.js';

/** The channel the outbox trigger (migration 001) notifies on; the payload is the table's schema. */
export const OUTBOX_CHANNEL = 'tfo_outbox';

export interface OutboxAppendWatcherOptions {
  readonly pollIntervalMs: number;
  readonly reconnectDelayMs: number;
}

/**
 * Wakes listeners when outbox rows become claimable: at once through LISTEN (the insert trigger
 * notifies at commit, from any process), and through a slow poll that also covers a missed
 * notification, a lost LISTEN connection and leases that expired after a relay died.
 * The LISTEN connection is held out of the pool for the watcher's life.
 */
export class OutboxAppendWatcher {
  private readonly listeners: (() => void)[] = [];
  private readonly connection: ListenConnection;
  private polling: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollFailing = false;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly options: OutboxAppendWatcherOptions,
  ) {
    this.connection = new ListenConnection(pool, logger, {
      channel: OUTBOX_CHANNEL,
      reconnectDelayMs: options.reconnectDelayMs,
      unavailableMessage: 'outbox LISTEN connection unavailable; polling until it is back',
      onNotification: (payload, schema) => {
        if (payload === schema) this.fire();
      },
      // Rows committed while nobody listened would otherwise wait for the next poll.
      onListening: () => this.fire(),
    });
  }

  add(listener: () => void): void {
    if (this.closed) return;
    this.listeners.push(listener);
    if (this.listeners.length > 1) return;
    this.pollTimer = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    }, this.options.pollIntervalMs);
    this.pollTimer.unref();
    this.connection.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    await Promise.all([this.connection.close(), this.polling]);
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    try {
      const { rows } = await this.pool.query<{ ready: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL AND parked_at IS NULL
                         AND (claimed_until IS NULL OR claimed_until < now())) AS ready`,
      );
      if (this.pollFailing) this.logger.info('outbox poll works again');
      this.pollFailing = false;
      if (rows[0]?.ready) this.fire();
    } catch (error) {
      // Logged once per outage, not once a second.
      if (!this.pollFailing) this.logger.warn('outbox poll failed; will keep trying', { error: describePgError(error) });
      this.pollFailing = true;
    }
  }

  private fire(): void {
    if (this.closed) return;
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (error) {
        this.logger.error('outbox append listener threw', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}

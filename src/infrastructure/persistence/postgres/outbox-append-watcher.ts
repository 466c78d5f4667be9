import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../../../application/ports/logger.js';
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
  private client: PoolClient | undefined;
  private schema: string | undefined;
  private connecting: Promise<void> | undefined;
  private polling: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollFailing = false;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly options: OutboxAppendWatcherOptions,
  ) {}

  add(listener: () => void): void {
    if (this.closed) return;
    this.listeners.push(listener);
    if (this.listeners.length > 1) return;
    this.pollTimer = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    }, this.options.pollIntervalMs);
    this.pollTimer.unref();
    this.connecting = this.listen();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    await Promise.all([this.connecting, this.polling]);
    this.drop(true);
  }

  private async listen(): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.retryListen(error);
      return;
    }
    if (this.closed) {
      client.release();
      return;
    }
    // A checked-out client has no pool error listener: without this, a lost connection would crash the process.
    client.on('error', (error) => {
      if (this.client !== client) return;
      this.drop(error);
      this.retryListen(error);
    });
    client.on('notification', (message) => {
      if (message.channel === OUTBOX_CHANNEL && message.payload === this.schema) this.fire();
    });
    try {
      this.schema = (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? undefined;
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.client = client;
    } catch (error) {
      client.release(true);
      this.retryListen(error);
      return;
    }
    // Rows committed while nobody listened would otherwise wait for the next poll.
    this.fire();
  }

  private retryListen(error: unknown): void {
    if (this.closed) return;
    this.logger.warn('outbox LISTEN connection unavailable; polling until it is back', { error: describePgError(error) });
    this.reconnectTimer = setTimeout(() => {
      this.connecting = this.listen();
    }, this.options.reconnectDelayMs);
    this.reconnectTimer.unref();
  }

  private drop(reason: Error | true): void {
    const client = this.client;
    this.client = undefined;
    client?.release(reason);
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

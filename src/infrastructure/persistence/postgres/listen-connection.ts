import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../../../application/ports/logger.js';
import { describePgError } from './pg-errors.js';

export interface ListenConnectionOptions {
  readonly channel: string;
  /** Wait before a lost (or unobtainable) connection is opened again. */
  readonly reconnectDelayMs: number;
  /** The warning logged when the connection is lost or cannot be opened: what covers the gap. */
  readonly unavailableMessage: string;
  /** A notification on the channel, with the schema this connection's search_path resolves to. */
  readonly onNotification: (payload: string | undefined, schema: string | undefined) => void;
  /** After every LISTEN that took effect (the first and each reconnect). */
  readonly onListening?: () => void;
}

/**
 * One LISTEN connection held out of the pool for its owner's life (the outbox watcher, the task
 * signals). A lost connection is logged and reopened after a delay; notifications sent meanwhile
 * are lost, which each owner's own poll makes good.
 */
export class ListenConnection {
  private client: PoolClient | undefined;
  private schema: string | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly options: ListenConnectionOptions,
  ) {}

  /** Opens the connection, once; later calls do nothing. */
  open(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.connecting = this.connect();
  }

  /** Resolves once the LISTEN is in place (or the attempt failed and a retry is scheduled). */
  async ready(): Promise<void> {
    await this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.connecting;
    this.drop(true);
  }

  private async connect(): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.retry(error);
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
      this.retry(error);
    });
    client.on('notification', (message) => {
      if (message.channel === this.options.channel) this.options.onNotification(message.payload, this.schema);
    });
    try {
      this.schema = (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? undefined;
      await client.query(`LISTEN ${this.options.channel}`);
      this.client = client;
    } catch (error) {
      client.release(true);
      this.retry(error);
      return;
    }
    this.options.onListening?.();
  }

  private retry(error: unknown): void {
    if (this.closed) return;
    this.logger.warn(this.options.unavailableMessage, { error: describePgError(error) });
    this.reconnectTimer = setTimeout(() => {
      this.connecting = this.connect();
    }, this.options.reconnectDelayMs);
    this.reconnectTimer.unref();
  }

  private drop(reason: Error | true): void {
    const client = this.client;
    this.client = undefined;
    client?.release(reason);
  }
}

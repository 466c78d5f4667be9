import { connect, DebugEvents, Events, type JetStreamClient, type JetStreamManager, type NatsConnection as NatsClient } from 'nats';
import type { Logger } from '../../../application/ports/logger.js';
import { describeNatsError, NatsAdapterError, redactNatsUrl } from './nats-errors.js';

export interface NatsConnectionOptions {
  /** May hold credentials (`nats://user:pass@host:4222`); only its redacted form is ever logged. */
  readonly url: string;
  /** Shown in the server's connection list (`/connz`), e.g. `tfo-mcp 1.2.3 (host)`. */
  readonly name: string;
  /** Wait between attempts, first connection and reconnections alike. Default 1000. */
  readonly reconnectWaitMs?: number;
  /** Up to this much random extra wait per attempt, so a restarted server is not stampeded. Default 1000. */
  readonly reconnectJitterMs?: number;
  /** Per connection attempt. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Default 10 000 (two missed pongs mark the connection stale). */
  readonly pingIntervalMs?: number;
}

export type NatsConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface NatsConnectionStatus {
  readonly state: NatsConnectionState;
  /** The configured server(s), without credentials. */
  readonly server: string;
  /** When `state` last changed (ISO-8601). */
  readonly since: string;
  readonly lastError?: string;
  /** Failed attempts since the last successful connection. */
  readonly failedAttempts: number;
}

/**
 * One long-lived client connection. `start()` returns at once and connects in the background:
 * the first connection is retried forever (the server may come up after us), and once connected the
 * client reconnects forever, with a jittered wait. Callers ask `ready(timeoutMs)` for the live client,
 * so a publish while NATS is down fails in bounded time instead of buffering without limit.
 */
export class NatsConnection {
  private client: NatsClient | undefined;
  private state: NatsConnectionState = 'idle';
  private since = new Date();
  private lastError: string | undefined;
  private failedAttempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly server: string;

  constructor(
    private readonly options: NatsConnectionOptions,
    private readonly logger: Logger,
  ) {
    this.server = redactNatsUrl(options.url);
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.setState('connecting');
    void this.attempt();
  }

  status(): NatsConnectionStatus {
    return {
      state: this.state,
      server: this.server,
      since: this.since.toISOString(),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      failedAttempts: this.failedAttempts,
    };
  }

  /** The connected client; rejects with `nats.unavailable` if not connected within `timeoutMs`. */
  async ready(timeoutMs: number): Promise<NatsClient> {
    if (this.state === 'connected' && this.client) return this.client;
    if (this.state === 'idle') throw new NatsAdapterError('nats.unavailable', `NATS connection to ${this.server} was not started`);
    if (this.state !== 'closed') {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.waiters.add(done);
      });
      if (this.state === 'connected' && this.client) return this.client;
    }
    throw this.unavailable(timeoutMs);
  }

  async jetstream(timeoutMs: number): Promise<JetStreamClient> {
    return (await this.ready(timeoutMs)).jetstream({ timeout: timeoutMs });
  }

  async jetstreamManager(timeoutMs: number): Promise<JetStreamManager> {
    return (await this.ready(timeoutMs)).jetstreamManager({ timeout: timeoutMs, checkAPI: false });
  }

  /** Stops reconnecting, drains (bounded by `timeoutMs`) and closes. Idempotent. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('closed');
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (!client || client.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    // drain() cannot finish while disconnected; close() after the timeout ends it regardless.
    await Promise.race([client.drain().catch(() => undefined), timeout]);
    clearTimeout(timer);
    if (!client.isClosed()) await client.close().catch(() => undefined);
  }

  private async attempt(): Promise<void> {
    if (this.state === 'closed') return;
    try {
      const client = await connect({
        servers: this.options.url,
        name: this.options.name,
        timeout: this.options.connectTimeoutMs ?? 5_000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: this.options.reconnectWaitMs ?? 1_000,
        reconnectJitter: this.options.reconnectJitterMs ?? 1_000,
        pingInterval: this.options.pingIntervalMs ?? 10_000,
      });
      if (this.closedByUs()) {
        await client.close();
        return;
      }
      this.client = client;
      this.failedAttempts = 0;
      this.lastError = undefined;
      this.logger.info('nats connected', { server: this.server, name: this.options.name });
      this.setState('connected');
      this.watch(client);
    } catch (error) {
      this.failedAttempts += 1;
      this.lastError = describeNatsError(error);
      // Loud on the first failure, then once every 30 attempts: the server may stay down for hours.
      if (this.failedAttempts === 1 || this.failedAttempts % 30 === 0) {
        this.logger.warn('nats not reachable; retrying', { server: this.server, attempts: this.failedAttempts, error: this.lastError });
      }
      this.scheduleAttempt();
    }
  }

  private scheduleAttempt(): void {
    if (this.state === 'closed') return;
    const wait = (this.options.reconnectWaitMs ?? 1_000) + Math.floor(Math.random() * ((this.options.reconnectJitterMs ?? 1_000) + 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, wait);
    this.retryTimer.unref();
  }

  private watch(client: NatsClient): void {
    void this.followStatus(client);
    // The status iterator does not end when the client closes: closed() is the signal for that.
    void client.closed().then((error) => this.onClosed(client, error));
  }

  private async followStatus(client: NatsClient): Promise<void> {
    for await (const status of client.status()) {
      if (this.state === 'closed' || this.client !== client) break;
      switch (status.type) {
        case Events.Disconnect:
          this.lastError = 'disconnected';
          this.logger.warn('nats disconnected; reconnecting', { server: this.server });
          this.setState('reconnecting');
          break;
        case Events.Reconnect:
          this.failedAttempts = 0;
          this.lastError = undefined;
          this.logger.info('nats reconnected', { server: this.server });
          this.setState('connected');
          break;
        case DebugEvents.Reconnecting:
          this.failedAttempts += 1;
          break;
        case Events.Error:
          this.lastError = describeNatsError(status.data);
          this.logger.warn('nats client error', { server: this.server, error: this.lastError });
          break;
        default:
          break;
      }
    }
  }

  private onClosed(client: NatsClient, error: void | Error): void {
    if (this.closedByUs() || this.client !== client) return;
    // The client gave up (e.g. an authorization error) or was closed elsewhere: start over rather than stay down.
    this.client = undefined;
    this.lastError = error ? describeNatsError(error) : 'connection closed';
    this.logger.error('nats connection closed unexpectedly; reconnecting', { server: this.server, error: this.lastError });
    this.setState('connecting');
    this.scheduleAttempt();
  }

  /** A method, not a field test: close() may have run during an await (TypeScript narrows fields). */
  private closedByUs(): boolean {
    return this.state === 'closed';
  }

  private setState(state: NatsConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    this.since = new Date();
    if (state === 'connected' || state === 'closed') for (const waiter of [...this.waiters]) waiter();
  }

  private unavailable(timeoutMs: number): NatsAdapterError {
    if (this.state === 'closed') return new NatsAdapterError('nats.unavailable', `NATS connection to ${this.server} is closed`);
    const reason = this.lastError ? `: ${this.lastError}` : '';
    return new NatsAdapterError('nats.unavailable', `NATS at ${this.server} not connected within ${timeoutMs} ms (${this.state}${reason})`);
  }
}

import { Redis, type RedisStatus } from 'ioredis';
import type { Logger } from '../../application/ports/logger.js';

export interface RedisConnectionOptions {
  /** `cache.redis.url`; never logged (it may carry a password). */
  readonly url: string;
  readonly connectTimeoutMs: number;
  /** `cache.redis.key_prefix`: every key this connection touches lives under it. */
  readonly keyPrefix: string;
  /** A command with no reply after this long fails, so a hung server cannot hang a caller. Default 1000. */
  readonly commandTimeoutMs?: number;
  /** The reconnect backoff doubles from 50 ms up to this. Default 2000. */
  readonly maxRetryDelayMs?: number;
}

export interface RedisConnection {
  readonly client: Redis;
  readonly status: RedisStatus;
  /** True once the client is ready, false when `timeoutMs` passes first; never rejects. */
  waitUntilReady(timeoutMs: number): Promise<boolean>;
  /** Stops reconnecting and closes the socket; pending commands fail. */
  close(): Promise<void>;
}

/**
 * Connects at once and never throws or crashes the process when Redis is away: it retries forever,
 * and while it is disconnected commands fail immediately (no offline queue) so callers fall back at
 * once instead of waiting for a server that may not come back.
 */
export function createRedisConnection(options: RedisConnectionOptions, logger: Logger): RedisConnection {
  return new IoRedisConnection(options, logger.child({ component: 'redis' }));
}

const CLOSE_TIMEOUT_MS = 1_000;

class IoRedisConnection implements RedisConnection {
  readonly client: Redis;
  private outage?: { readonly since: number; failures: number };
  private everReady = false;
  private closing = false;

  constructor(options: RedisConnectionOptions, private readonly logger: Logger) {
    const maxDelay = options.maxRetryDelayMs ?? 2_000;
    this.client = new Redis(options.url, {
      keyPrefix: options.keyPrefix,
      connectTimeout: options.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? 1_000,
      enableOfflineQueue: false,
      // A command caught by a disconnect fails at once and is never resent: a cache caller has
      // moved on, and a resent XADD could store an event twice.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Never null: giving up would leave the cache missing until a restart.
      retryStrategy: (times) => Math.min(maxDelay, 50 * 2 ** Math.min(times, 16)) + Math.floor(Math.random() * 100),
      connectionName: 'tfo-mcp',
    });
    this.client.on('error', (error: Error) => this.unavailable(error));
    this.client.on('close', () => this.unavailable(undefined));
    this.client.on('ready', () => this.available());
  }

  get status(): RedisStatus {
    return this.client.status;
  }

  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ready: boolean): void => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        resolve(ready);
      };
      const onReady = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.on('ready', onReady);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.client.status === 'end') return;
    const ended = new Promise<void>((resolve) => this.client.once('end', () => resolve()));
    if (this.client.status === 'ready') {
      // QUIT lets replies in flight arrive; a server that stopped answering must not block shutdown.
      await bounded(this.client.quit().then(() => undefined, () => undefined), CLOSE_TIMEOUT_MS);
    }
    this.client.disconnect(false);
    await bounded(ended, CLOSE_TIMEOUT_MS);
  }

  /** Once per outage, not per retry: a Redis that stays away for an hour must not flood the log. */
  private unavailable(error: Error | undefined): void {
    if (this.closing) return;
    if (this.outage) {
      if (error) this.outage.failures += 1;
      return;
    }
    this.outage = { since: Date.now(), failures: error ? 1 : 0 };
    const reason = error ? describeRedisError(error) : 'connection closed';
    this.logger.warn(
      this.everReady ? 'redis connection lost; retrying in the background' : 'redis unavailable; retrying in the background',
      { reason },
    );
  }

  private available(): void {
    const outage = this.outage;
    this.outage = undefined;
    if (outage) {
      this.logger.info('redis available again', { downMs: Date.now() - outage.since, failedAttempts: outage.failures });
    } else if (!this.everReady) {
      this.logger.info('redis connected');
    }
    this.everReady = true;
  }
}

function bounded(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A short reason without hosts or credentials: fit for logs and readiness details. */
export function describeRedisError(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.length > 0) return code;
  if (/enableOfflineQueue|Stream isn't writeable/.test(error.message)) return 'not connected';
  if (/timed out/i.test(error.message)) return 'timed out';
  if (error.name === 'MaxRetriesPerRequestError') return 'connection lost during command';
  // Redis replies start with their error code (WRONGTYPE, NOAUTH, LOADING, OOM…).
  if (error.name === 'ReplyError') return error.message.split(' ', 1)[0] ?? 'ReplyError';
  return error.name && error.name !== 'Error' ? error.name : error.message.slice(0, 80);
}

import { createClient, type ClickHouseClient, type Logger as ClientLogger } from '@clickhouse/client';
import type { Logger } from '../../application/ports/logger.js';
import { describeFailure } from './clickhouse-errors.js';

export interface ClickHouseConnectionOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Bounds every request, so a hung server cannot stall the outbox relay. */
  readonly requestTimeoutMs?: number;
}

export const DEFAULT_CLICKHOUSE_REQUEST_TIMEOUT_MS = 10_000;

/**
 * One HTTP client for the projection, the reader, the migrator and the health check. It is bound to
 * no database (statements name theirs), so the migrator can create the database through it. The
 * composition root closes it after the projection.
 */
export function createClickHouseClient(options: ClickHouseConnectionOptions, logger: Logger): ClickHouseClient {
  return createClient({
    url: options.url,
    username: options.username,
    password: options.password,
    application: 'tfo-mcp',
    request_timeout: options.requestTimeoutMs ?? DEFAULT_CLICKHOUSE_REQUEST_TIMEOUT_MS,
    log: { LoggerClass: clientLoggerFor(logger.child({ component: 'clickhouse-client' })) },
  });
}

/**
 * The client's default logger writes with console.info/debug, i.e. to stdout, which belongs to the
 * protocol on stdio. Its errors are always thrown to the caller too, who reports them with context,
 * so here they are only debug lines; arguments are dropped (they hold query ids and settings).
 */
function clientLoggerFor(logger: Logger): new () => ClientLogger {
  return class implements ClientLogger {
    trace(): void {}

    debug(params: { module: string; message: string }): void {
      logger.debug(params.message, { module: params.module });
    }

    info(params: { module: string; message: string }): void {
      logger.debug(params.message, { module: params.module });
    }

    warn(params: { module: string; message: string; err?: Error }): void {
      logger.warn(params.message, { module: params.module, ...(params.err ? { error: describeFailure(params.err) } : {}) });
    }

    error(params: { module: string; message: string; err: Error }): void {
      logger.debug(params.message, { module: params.module, error: describeFailure(params.err) });
    }
  };
}

import pg, { type Pool, type PoolClient } from 'pg';
import type { Logger } from '../../../application/ports/logger.js';
import { describePgError } from './pg-errors.js';

export interface PostgresPoolOptions {
  readonly url: string;
  readonly poolMax: number;
  readonly statementTimeoutMs: number;
  /** Tables live in this schema (it becomes the search_path); default: the server's search_path. */
  readonly schema?: string;
  /** How long a checkout waits for a connection; default 5 s, so a dead server fails fast. */
  readonly connectionTimeoutMs?: number;
  readonly applicationName?: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The pool every Postgres adapter shares. An idle connection that breaks (server restart, network)
 * emits 'error' on the pool: without a listener that would crash the process, so it is logged and
 * the pool replaces the connection on the next checkout.
 */
export function createPostgresPool(options: PostgresPoolOptions, logger: Logger): Pool {
  if (options.schema !== undefined && !IDENTIFIER.test(options.schema)) {
    throw new Error('postgres schema must be a plain identifier (letters, digits, underscore)');
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    statement_timeout: options.statementTimeoutMs,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    application_name: options.applicationName ?? 'tfo-mcp',
    ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
  });
  pool.on('error', (error) => logger.error('postgres connection failed while idle; it will be replaced', { error: describePgError(error) }));
  return pool;
}

/**
 * Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
 * throws (the original error is rethrown). A connection whose ROLLBACK fails is discarded.
 */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

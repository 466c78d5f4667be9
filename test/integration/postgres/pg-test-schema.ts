import { randomBytes } from 'node:crypto';
import pg, { type Pool } from 'pg';
import type { Logger } from '../../../src/application/ports/logger.js';
import { migrate } from '../../../src/infrastructure/persistence/postgres/migrator.js';
import { createPostgresPool } from '../../../src/infrastructure/persistence/postgres/postgres-pool.js';
import { RecordingLogger } from '../../support/builders.js';

/** `bash scripts/services.sh up` starts it; `scripts/services.sh env` prints this variable. */
export const PG_URL = process.env.TFO_PG_URL ?? 'postgres://mcp:mcp@127.0.0.1:55432/mcp';

export interface TestSchema {
  readonly name: string;
  /** A pool whose search_path is this schema (migrated unless asked otherwise). */
  readonly pool: Pool;
  readonly logger: RecordingLogger;
  /** Another pool on the same schema: a second "process". Ended by drop(). */
  newPool(poolMax?: number, logger?: Logger): Pool;
  /** Empties every table the migrations created (between tests sharing the schema). */
  truncate(): Promise<void>;
  /** Ends every pool and drops the schema with everything in it. */
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Postgres is not reachable at ${PG_URL.replace(/\/\/[^@]*@/, '//***@')}; run 'bash scripts/services.sh up'`, {
      cause: error,
    });
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh schema `t_<random>` per test file, so files run in parallel without sharing rows. */
export async function createTestSchema(options: { migrate?: boolean } = {}): Promise<TestSchema> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE SCHEMA ${name}`));
  const logger = new RecordingLogger();
  const pools: Pool[] = [];
  const newPool = (poolMax = 5, poolLogger: Logger = logger): Pool => {
    const pool = createPostgresPool({ url: PG_URL, poolMax, statementTimeoutMs: 10_000, schema: name }, poolLogger);
    pools.push(pool);
    return pool;
  };
  const pool = newPool(8);
  if (options.migrate !== false) await migrate(pool, logger);
  return {
    name,
    pool,
    logger,
    newPool,
    async truncate() {
      await pool.query(
        'TRUNCATE outbox, sessions, tool_executions, conversation_messages, conversations RESTART IDENTITY',
      );
    },
    async drop() {
      await Promise.all(pools.filter((p) => !p.ended).map((p) => p.end()));
      await admin((client) => client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
    },
  };
}

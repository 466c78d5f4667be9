import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../../../application/ports/logger.js';
import { checksumOf, type Migration } from './migration.js';
import { MIGRATIONS } from './migrations.js';

export interface MigrateOptions {
  readonly migrations?: readonly Migration[];
  /** Bounds the wait for another instance's migration lock and for DDL locks; default 60 s. */
  readonly lockTimeoutMs?: number;
}

export interface MigrationReport {
  /** Labels (`002_sessions`) of the migrations this call applied, in order; empty when up to date. */
  readonly applied: string[];
  /** The highest version now recorded. */
  readonly version: number;
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

// First key of the two-key advisory lock; the second is the schema, so schemas migrate independently.
const LOCK_KEY = 0x74666f31;

export function migrationLabel(migration: { version: number; name: string }): string {
  return `${String(migration.version).padStart(3, '0')}_${migration.name}`;
}

/**
 * Applies pending migrations in order, each in its own transaction, recorded in schema_migrations.
 * A session advisory lock serialises instances that start together: the second waits, then finds
 * nothing to do. Refuses to run when an applied migration's SQL changed since it was applied.
 */
export async function migrate(pool: Pool, logger: Logger, options: MigrateOptions = {}): Promise<MigrationReport> {
  const migrations = options.migrations ?? MIGRATIONS;
  assertOrdered(migrations);
  const client = await pool.connect();
  let failed = false;
  try {
    const schema = (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema;
    if (!schema) throw new MigrationError('no schema to migrate: the search_path names no existing schema');
    // DDL may outlast the pool's statement timeout; the lock timeout bounds every wait instead.
    const lockTimeoutMs = Math.max(1, Math.trunc(options.lockTimeoutMs ?? 60_000));
    await client.query(`SET statement_timeout = 0; SET lock_timeout = ${lockTimeoutMs}`);
    try {
      await client.query(`SELECT pg_advisory_lock(${LOCK_KEY}, hashtext(current_schema()))`);
    } catch (error) {
      throw new MigrationError(`another instance held the migration lock for more than ${lockTimeoutMs} ms`, { cause: error });
    }
    const report = await applyPending(client, logger.child({ component: 'migrator', schema }), migrations);
    await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY}, hashtext(current_schema())); RESET statement_timeout; RESET lock_timeout`);
    return report;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // A failed run drops its connection: that frees the advisory lock and any session settings.
    client.release(failed);
  }
}

async function applyPending(client: PoolClient, logger: Logger, migrations: readonly Migration[]): Promise<MigrationReport> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied = (await client.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version')).rows;
  verifyApplied(applied, migrations, logger);
  const done = new Set(applied.map((row) => row.version));
  const highest = applied.reduce((max, row) => Math.max(max, row.version), 0);
  const pending = migrations.filter((m) => !done.has(m.version));
  const late = pending.find((m) => m.version < highest);
  if (late) {
    throw new MigrationError(
      `migration ${migrationLabel(late)} is not applied but version ${highest} already is; ` +
        'give it a version above every applied one',
    );
  }
  const labels: string[] = [];
  for (const migration of pending) {
    await applyOne(client, migration);
    labels.push(migrationLabel(migration));
    logger.info('applied database migration', { migration: migrationLabel(migration) });
  }
  const version = Math.max(highest, ...pending.map((m) => m.version));
  if (labels.length === 0) logger.debug('database schema up to date', { version });
  return { applied: labels, version };
}

async function applyOne(client: PoolClient, migration: Migration): Promise<void> {
  try {
    await client.query('BEGIN');
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
      migration.version,
      migration.name,
      checksumOf(migration),
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`migration ${migrationLabel(migration)} failed and was rolled back: ${reason}`, { cause: error });
  }
}

function verifyApplied(applied: readonly AppliedRow[], migrations: readonly Migration[], logger: Logger): void {
  const known = new Map(migrations.map((m) => [m.version, m]));
  const unknown: string[] = [];
  for (const row of applied) {
    const migration = known.get(row.version);
    if (!migration) {
      unknown.push(migrationLabel(row));
      continue;
    }
    const checksum = checksumOf(migration);
    if (checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${migrationLabel(row)} was changed after it was applied ` +
          `(checksum ${row.checksum.slice(0, 12)}… in the database, ${checksum.slice(0, 12)}… in this build); ` +
          'restore its original SQL and put the change in a new migration',
      );
    }
  }
  // A newer build migrated this database (a rolling deploy): run, but say so.
  if (unknown.length > 0) logger.warn('database has migrations this build does not know', { migrations: unknown });
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (!Number.isInteger(migration.version) || migration.version < 1 || (previous && migration.version <= previous.version)) {
      throw new MigrationError(`migration list out of order at ${migrationLabel(migration)}: versions must be positive and strictly increasing`);
    }
  });
}

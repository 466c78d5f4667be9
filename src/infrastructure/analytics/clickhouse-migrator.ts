import type { ClickHouseClient } from '@clickhouse/client';
import type { Clock } from '../../application/ports/clock.js';
import type { Logger } from '../../application/ports/logger.js';
import { AnalyticsError, describeFailure } from './clickhouse-errors.js';
import { CLICKHOUSE_MIGRATIONS, CLICKHOUSE_TABLES, migrationsTableStatement, type ClickHouseMigration } from './clickhouse-migrations.js';
import { identifier, tableRef, toNumber } from './clickhouse-sql.js';

export interface ClickHouseMigrationReport {
  /** Versions applied by this run, ascending; empty when the schema was already current. */
  readonly applied: readonly number[];
  readonly current: number;
}

/**
 * Creates the database if missing and applies the migrations not yet recorded in schema_migrations.
 * Safe to run from several processes at once: every statement is idempotent and the version table
 * collapses duplicate records.
 */
export class ClickHouseMigrator {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly migrations: readonly ClickHouseMigration[] = CLICKHOUSE_MIGRATIONS,
  ) {
    identifier(database);
    migrations.forEach((m, i) => {
      if (!Number.isSafeInteger(m.version) || m.version < 1 || (i > 0 && m.version <= migrations[i - 1].version)) {
        throw new TypeError(`ClickHouse migrations must have ascending positive versions (at ${m.version})`);
      }
    });
  }

  async migrate(): Promise<ClickHouseMigrationReport> {
    await this.run('prepare', `CREATE DATABASE IF NOT EXISTS ${identifier(this.database)}`);
    await this.run('prepare', migrationsTableStatement(this.database));
    const done = await this.appliedVersions();
    const applied: number[] = [];
    for (const migration of this.migrations) {
      if (done.has(migration.version)) continue;
      const label = `${migration.version} (${migration.name})`;
      for (const statement of migration.statements(this.database)) await this.run(label, statement);
      await this.record(label, migration);
      applied.push(migration.version);
      this.logger.info('clickhouse migration applied', { database: this.database, version: migration.version, name: migration.name });
    }
    const current = Math.max(0, ...done, ...applied);
    return { applied, current };
  }

  private async appliedVersions(): Promise<Set<number>> {
    try {
      const result = await this.client.query({
        query: `SELECT DISTINCT version FROM ${tableRef(this.database, CLICKHOUSE_TABLES.migrations)}`,
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ version: unknown }>();
      return new Set(rows.map((row) => toNumber(row.version)));
    } catch (error) {
      throw this.failure('reading applied versions', error);
    }
  }

  private async record(label: string, migration: ClickHouseMigration): Promise<void> {
    try {
      await this.client.insert({
        table: tableRef(this.database, CLICKHOUSE_TABLES.migrations),
        values: [{ version: migration.version, name: migration.name, applied_at: Math.floor(this.clock.now().getTime() / 1000) }],
        format: 'JSONEachRow',
      });
    } catch (error) {
      throw this.failure(`recording ${label}`, error);
    }
  }

  private async run(label: string, statement: string): Promise<void> {
    try {
      await this.client.command({ query: statement });
    } catch (error) {
      throw this.failure(label, error);
    }
  }

  private failure(step: string, error: unknown): AnalyticsError {
    return new AnalyticsError('analytics.migration_failed', `ClickHouse migration of database ${this.database} failed at ${step}: ${describeFailure(error)}`, { cause: error });
  }
}

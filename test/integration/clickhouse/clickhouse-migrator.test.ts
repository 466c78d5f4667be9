import { CLICKHOUSE_MIGRATIONS, type ClickHouseMigration } from '../../../src/infrastructure/analytics/clickhouse-migrations.js';
import { ClickHouseMigrator } from '../../../src/infrastructure/analytics/clickhouse-migrator.js';
import { FixedClock, T0 } from '../../support/fixed-clock.js';
import { countOf, openTestDatabase, select, type TestDatabase } from './clickhouse-fixture.js';

describe('ClickHouseMigrator (ClickHouse 18.16)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase('migrator');
  });

  afterAll(async () => {
    await db?.drop();
  });

  const migrator = () => new ClickHouseMigrator(db.client, db.database, db.logger, new FixedClock());

  it('migrate on a missing database - creates it, the tables and records versions 1 to 4', async () => {
    const report = await migrator().migrate();

    expect(report).toEqual({ applied: [1, 2, 3, 4], current: 4 });
    const tables = await select<{ name: string; engine: string; sorting_key: string }>(
      db.client,
      `SELECT name, engine, sorting_key FROM system.tables WHERE database = '${db.database}' ORDER BY name`,
    );
    expect(tables).toEqual([
      { name: 'conversation_turns', engine: 'ReplacingMergeTree', sorting_key: 'occurred_at, event_id' },
      { name: 'events', engine: 'ReplacingMergeTree', sorting_key: 'event_id' },
      { name: 'executions', engine: 'ReplacingMergeTree', sorting_key: 'occurred_at, event_id' },
      { name: 'schema_migrations', engine: 'ReplacingMergeTree', sorting_key: 'version' },
      { name: 'tool_executions', engine: 'ReplacingMergeTree', sorting_key: 'tool, execution_id' },
    ]);
    const recorded = await select<{ version: number; name: string; applied_at: string }>(db.client, `SELECT version, name, applied_at FROM \`${db.database}\`.schema_migrations ORDER BY version`);
    const appliedAt = T0.toISOString().replace('T', ' ').slice(0, 19);
    expect(recorded).toEqual([
      { version: 1, name: 'events and tool executions', applied_at: appliedAt },
      { version: 2, name: 'execution decisions', applied_at: appliedAt },
      { version: 3, name: 'conversation turns', applied_at: appliedAt },
      { version: 4, name: 'event actors', applied_at: appliedAt },
    ]);
    const columns = await select<{ name: string }>(db.client, `SELECT name FROM system.columns WHERE database = '${db.database}' AND table = 'events' AND name LIKE 'actor_%' ORDER BY name`);
    expect(columns.map((c) => c.name)).toEqual(['actor_id', 'actor_kind']);
  });

  it('migrate again, twice at once - applies nothing and records nothing new', async () => {
    const reports = await Promise.all([migrator().migrate(), migrator().migrate()]);

    expect(reports).toEqual([{ applied: [], current: 4 }, { applied: [], current: 4 }]);
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.schema_migrations`)).toBe(4);
    expect(await countOf(db.client, `SELECT count() AS n FROM system.tables WHERE database = '${db.database}'`)).toBe(5);
  });

  it('migrate with a new version - applies only that one, keeping the data already stored', async () => {
    await db.client.insert({ table: `\`${db.database}\`.events`, values: [{ event_id: 'kept', type: 't' }], format: 'JSONEachRow' });
    const extra: ClickHouseMigration = {
      version: 5,
      name: 'test table',
      statements: (database) => [`CREATE TABLE IF NOT EXISTS \`${database}\`.extra (id String) ENGINE = MergeTree ORDER BY id`],
    };
    const withExtra = [...CLICKHOUSE_MIGRATIONS, extra];

    const report = await new ClickHouseMigrator(db.client, db.database, db.logger, new FixedClock(), withExtra).migrate();

    expect(report).toEqual({ applied: [5], current: 5 });
    expect(await countOf(db.client, `SELECT count() AS n FROM system.tables WHERE database = '${db.database}' AND name = 'extra'`)).toBe(1);
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.events WHERE event_id = 'kept'`)).toBe(1);
    expect(db.logger.at('info').map((l) => l.fields.version)).toEqual([1, 2, 3, 4, 5]);
  });

  it('migrate with a statement the server refuses - rejects naming the migration and the server error', async () => {
    const broken: ClickHouseMigration = { version: 6, name: 'broken', statements: () => ['CREATE TABLE nonsense ('] };

    const run = new ClickHouseMigrator(db.client, db.database, db.logger, new FixedClock(), [broken]).migrate();

    await expect(run).rejects.toMatchObject({ name: 'AnalyticsError', code: 'analytics.migration_failed', message: expect.stringMatching(/at 6 \(broken\): .*Syntax error/) });
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.schema_migrations WHERE version = 6`)).toBe(0);
  });

  it('migrate a database at version 1 (the release before execution audit) - applies 2 to 4, keeping its rows', async () => {
    const upgraded = await openTestDatabase('migrator_upgrade');
    try {
      const clock = new FixedClock();
      await new ClickHouseMigrator(upgraded.client, upgraded.database, upgraded.logger, clock, CLICKHOUSE_MIGRATIONS.slice(0, 1)).migrate();
      await upgraded.client.insert({ table: `\`${upgraded.database}\`.tool_executions`, values: [{ execution_id: 'old', tool: 'echo' }], format: 'JSONEachRow' });

      const report = await new ClickHouseMigrator(upgraded.client, upgraded.database, upgraded.logger, clock).migrate();

      expect(report).toEqual({ applied: [2, 3, 4], current: 4 });
      expect(await countOf(upgraded.client, `SELECT count() AS n FROM system.tables WHERE database = '${upgraded.database}' AND name IN ('executions', 'conversation_turns')`)).toBe(2);
      expect(await countOf(upgraded.client, `SELECT count() AS n FROM \`${upgraded.database}\`.tool_executions`)).toBe(1);
    } finally {
      await upgraded.drop();
    }
  });

  it.each(['bad-name', '1abc', 'x; DROP DATABASE system', ''])('constructor with database %j - rejected before any SQL', (name) => {
    expect(() => new ClickHouseMigrator(db.client, name, db.logger, new FixedClock())).toThrow(/invalid ClickHouse identifier/);
  });

  it('constructor with versions out of order - rejected', () => {
    const m = (version: number): ClickHouseMigration => ({ version, name: `m${version}`, statements: () => [] });
    expect(() => new ClickHouseMigrator(db.client, db.database, db.logger, new FixedClock(), [m(2), m(1)])).toThrow(/ascending/);
  });
});

import type { ToolUsageRow } from '../../../src/application/ports/analytics.js';
import { ClickHouseToolUsageReader } from '../../../src/infrastructure/analytics/clickhouse-tool-usage-reader.js';
import { ClickHouseMigrator } from '../../../src/infrastructure/analytics/clickhouse-migrator.js';
import { ClickHouseProjection } from '../../../src/infrastructure/analytics/clickhouse-projection.js';
import { FixedClock } from '../../support/fixed-clock.js';
import { openTestDatabase, sessionEvent, toolEvent, type TestDatabase } from './clickhouse-fixture.js';

const B = new Date('2025-06-01T12:00:00.000Z').getTime();
const at = (seconds: number) => new Date(B + seconds * 1000);
const iso = (seconds: number) => at(seconds).toISOString();

/** A known set: durations chosen so mean and interpolated percentiles are easy to check by hand. */
const FIRST_BATCH = [
  toolEvent('read_file', 'success', 10, at(-50)),
  toolEvent('read_file', 'success', 20, at(-40)),
  toolEvent('read_file', 'success', 30, at(-30)),
  sessionEvent(at(-30)),
  toolEvent('list_directory', 'success', 7, at(-7200)),
];
const SECOND_BATCH = [
  toolEvent('read_file', 'success', 40, at(-20)),
  toolEvent('read_file', 'error', 100, new Date(B + 10_500)),
  toolEvent('execute_command', 'success', 1000, at(-100)),
  toolEvent('execute_command', 'cancelled', 3000, at(-90)),
];

const READ_FILE: ToolUsageRow = {
  tool: 'read_file', calls: 5, errors: 1, cancelled: 0,
  avgDurationMs: 40, p50DurationMs: 30, p95DurationMs: 88, // 40 + 0.8 × (100 − 40)
  lastCalledAt: iso(10), // DateTime keeps whole seconds
};
const EXECUTE_COMMAND: ToolUsageRow = {
  tool: 'execute_command', calls: 2, errors: 0, cancelled: 1,
  avgDurationMs: 2000, p50DurationMs: 2000, p95DurationMs: 2900,
  lastCalledAt: iso(-90),
};
const LIST_DIRECTORY: ToolUsageRow = {
  tool: 'list_directory', calls: 1, errors: 0, cancelled: 0,
  avgDurationMs: 7, p50DurationMs: 7, p95DurationMs: 7,
  lastCalledAt: iso(-7200),
};

describe('ClickHouseToolUsageReader (ClickHouse 18.16)', () => {
  let db: TestDatabase;
  const clock = new FixedClock(at(60));
  let reader: ClickHouseToolUsageReader;

  beforeAll(async () => {
    db = await openTestDatabase('usage');
    await new ClickHouseMigrator(db.client, db.database, db.logger, clock).migrate();
    reader = new ClickHouseToolUsageReader(db.client, db.database, clock);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('toolUsage before anything was published - no rows', async () => {
    await expect(reader.toolUsage()).resolves.toEqual([]);
  });

  it('toolUsage over a known set, one batch delivered twice - exact counts and durations, most-called first', async () => {
    const projection = new ClickHouseProjection(db.client, { database: db.database, batchSize: 1000 }, db.logger, clock);
    await projection.publish(FIRST_BATCH);
    await projection.publish(SECOND_BATCH);
    await projection.publish(SECOND_BATCH);

    const rows = await reader.toolUsage();

    expect(rows).toEqual([READ_FILE, EXECUTE_COMMAND, LIST_DIRECTORY]);
    for (const row of rows) {
      for (const value of [row.calls, row.errors, row.cancelled, row.avgDurationMs, row.p50DurationMs, row.p95DurationMs]) expect(typeof value).toBe('number');
    }
  });

  it('toolUsage with sinceSeconds - executions older than the window are left out', async () => {
    await expect(reader.toolUsage({ sinceSeconds: 3600 })).resolves.toEqual([READ_FILE, EXECUTE_COMMAND]);
    await expect(reader.toolUsage({ sinceSeconds: 85 })).resolves.toEqual([
      { ...READ_FILE, calls: 2, errors: 1, avgDurationMs: 70, p50DurationMs: 70, p95DurationMs: 97 }, // cut-off at -25 s (the clock reads +60 s): 40 @-20 s and 100 @+10 s
    ]);
    await expect(reader.toolUsage({ sinceSeconds: 0 })).resolves.toEqual([]);
  });

  it('toolUsage after OPTIMIZE FINAL merged the duplicates - the same numbers', async () => {
    await db.client.command({ query: `OPTIMIZE TABLE \`${db.database}\`.tool_executions FINAL` });

    await expect(reader.toolUsage()).resolves.toEqual([READ_FILE, EXECUTE_COMMAND, LIST_DIRECTORY]);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('toolUsage with sinceSeconds %p - rejected before any query', async (sinceSeconds) => {
    await expect(reader.toolUsage({ sinceSeconds })).rejects.toThrow(RangeError);
  });

  it('toolUsage on a database that was never migrated - rejects with analytics.read_failed', async () => {
    const unmigrated = new ClickHouseToolUsageReader(db.client, `${db.database}_missing`, clock);

    await expect(unmigrated.toolUsage()).rejects.toMatchObject({ name: 'AnalyticsError', code: 'analytics.read_failed', message: expect.stringContaining("doesn't exist") });
  });
});

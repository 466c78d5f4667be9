import type { DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { ClickHouseToolUsageReader } from '../../../src/infrastructure/analytics/clickhouse-tool-usage-reader.js';
import { ClickHouseMigrator } from '../../../src/infrastructure/analytics/clickhouse-migrator.js';
import { ClickHouseProjection } from '../../../src/infrastructure/analytics/clickhouse-projection.js';
import { FixedClock } from '../../support/fixed-clock.js';
import { countOf, openTestDatabase, select, sessionEvent, toolEvent, type TestDatabase } from './clickhouse-fixture.js';

const AT = new Date('2025-03-04T05:06:07.089Z');
const INSERTED = new Date('2025-03-04T05:06:09.000Z');

describe('ClickHouseProjection (ClickHouse 18.16)', () => {
  let db: TestDatabase;
  const clock = new FixedClock(INSERTED);

  beforeAll(async () => {
    db = await openTestDatabase('projection');
    await new ClickHouseMigrator(db.client, db.database, db.logger, clock).migrate();
  });

  afterAll(async () => {
    await db?.drop();
  });

  beforeEach(async () => {
    await db.client.command({ query: `TRUNCATE TABLE \`${db.database}\`.events` });
    await db.client.command({ query: `TRUNCATE TABLE \`${db.database}\`.tool_executions` });
    db.logger.lines.length = 0;
  });

  const projection = (batchSize = 1000) => new ClickHouseProjection(db.client, { database: db.database, batchSize }, db.logger, clock);
  const reader = () => new ClickHouseToolUsageReader(db.client, db.database, clock);
  const events = (where = '') => select<Record<string, unknown>>(db.client, `SELECT * FROM \`${db.database}\`.events FINAL ${where} ORDER BY event_id`);
  const executions = () => select<Record<string, unknown>>(db.client, `SELECT * FROM \`${db.database}\`.tool_executions FINAL ORDER BY execution_id`);

  it('publish - every event becomes an events row with its envelope, JSON payload and actor (empty when none)', async () => {
    const session = { ...sessionEvent(AT, 'sess-42'), actor: { id: 'key:ci', kind: 'api-key' } };
    const noSession: DomainEvent = { id: 'evt-no-session', type: 'tool.registered', version: 1, aggregateType: 'tool', aggregateId: 'read_file', occurredAt: AT.toISOString(), data: { name: "it's \"quoted\"\n\\ ünï" } };

    await projection().publish([session, noSession]);

    expect(await events()).toEqual([
      {
        event_id: 'evt-no-session', type: 'tool.registered', version: 1, aggregate_type: 'tool', aggregate_id: 'read_file', session_id: '',
        occurred_at: '2025-03-04 05:06:07', occurred_ms: 89, payload: JSON.stringify(noSession.data), inserted_at: '2025-03-04 05:06:09',
        actor_id: '', actor_kind: '',
      },
      {
        event_id: session.id, type: 'session.created', version: 1, aggregate_type: 'session', aggregate_id: 'sess-42', session_id: 'sess-42',
        occurred_at: '2025-03-04 05:06:07', occurred_ms: 89, payload: '{"transport":"stdio"}', inserted_at: '2025-03-04 05:06:09',
        actor_id: 'key:ci', actor_kind: 'api-key',
      },
    ]);
    expect(JSON.parse(String((await events(`WHERE event_id = 'evt-no-session'`))[0].payload))).toEqual(noSession.data);
    expect(await executions()).toEqual([]);
  });

  it('publish tool.executed and tool.failed - one tool_executions row per execution', async () => {
    const ok = toolEvent('read_file', 'success', 12.6, AT, 'sess-1');
    const failed = toolEvent('execute_command', 'error', 3000, AT, 'sess-2');
    const cancelled = toolEvent('execute_command', 'cancelled', 0, AT, 'sess-2');

    await projection().publish([ok, failed, cancelled]);

    const rows = await executions();
    const byEvent = (e: DomainEvent) => rows.find((r) => r.event_id === e.id);
    expect(rows).toHaveLength(3);
    expect(byEvent(ok)).toEqual({
      execution_id: (ok.data as { executionId: string }).executionId, event_id: ok.id, session_id: 'sess-1', tool: 'read_file',
      outcome: 'success', duration_ms: 13, error: '', retryable: 0, occurred_at: '2025-03-04 05:06:07',
    });
    expect(byEvent(failed)).toMatchObject({ tool: 'execute_command', outcome: 'error', duration_ms: 3000, error: 'execute_command error', session_id: 'sess-2' });
    expect(byEvent(cancelled)).toMatchObject({ tool: 'execute_command', outcome: 'cancelled', duration_ms: 0, error: 'execute_command cancelled' });
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.events`)).toBe(3);
  });

  it('publish the same batch twice - stored twice, counted once by every read', async () => {
    const batch = [toolEvent('read_file', 'success', 10, AT), toolEvent('read_file', 'error', 30, AT), sessionEvent(AT)];
    const p = projection();

    await p.publish(batch);
    await p.publish(batch);
    await p.publish(batch.slice(1));

    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.tool_executions`)).toBe(5);
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.events FINAL`)).toBe(3);
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.tool_executions FINAL`)).toBe(2);
    expect(await reader().toolUsage()).toEqual([
      expect.objectContaining({ tool: 'read_file', calls: 2, errors: 1, cancelled: 0, avgDurationMs: 20 }),
    ]);
  });

  it('publish more rows than batchSize - split into several INSERTs, all stored; an empty batch inserts nothing', async () => {
    const batch = Array.from({ length: 7 }, (_, i) => toolEvent('list_directory', 'success', i, AT));
    const seen: number[] = [];
    const insert = db.client.insert.bind(db.client);
    const spy = Object.assign(Object.create(db.client) as typeof db.client, {
      insert: (params: Parameters<typeof db.client.insert>[0]) => {
        seen.push((params.values as unknown[]).length);
        return insert(params);
      },
    });
    const spied = new ClickHouseProjection(spy, { database: db.database, batchSize: 3 }, db.logger, clock);

    await spied.publish(batch);
    await spied.publish([]);

    expect(seen).toEqual([3, 3, 1, 3, 3, 1]);
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.tool_executions FINAL`)).toBe(7);
  });

  it('publish with malformed events - they are skipped with a warning, the rest of the batch is stored', async () => {
    const good = toolEvent('read_file', 'success', 5, AT);
    const badDate: DomainEvent = { ...sessionEvent(AT), occurredAt: 'yesterday' };
    const badTool: DomainEvent = { ...toolEvent('read_file', 'success', 5, AT), data: { tool: 'read_file' } };
    const futureVersion: DomainEvent = { ...toolEvent('read_file', 'error', 5, AT), version: 2 };

    await projection().publish([good, badDate, badTool, futureVersion]);

    expect((await events()).map((r) => r.event_id).sort()).toEqual([good.id, badTool.id, futureVersion.id].sort());
    expect((await executions()).map((r) => r.event_id)).toEqual([good.id]);
    expect(db.logger.at('warn').map((l) => [l.fields.eventId, l.fields.reason])).toEqual([
      [badDate.id, expect.stringContaining('malformed envelope')],
      [badTool.id, expect.stringContaining('invalid tool.executed v1 data')],
      [futureVersion.id, expect.stringContaining('version 2')],
    ]);
  });

  it('close - waits for the batch being written, then refuses new ones', async () => {
    const p = projection();
    const writing = p.publish([toolEvent('read_file', 'success', 1, AT)]);

    await p.close();

    await expect(writing).resolves.toBeUndefined();
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.tool_executions`)).toBe(1);
    await expect(p.publish([sessionEvent(AT)])).rejects.toMatchObject({ code: 'analytics.closed' });
  });
});

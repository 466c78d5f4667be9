import { randomBytes } from 'node:crypto';
import { executionDecided, type ExecutionDecidedData } from '../../../src/domain/execution/execution.events.js';
import type { DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { ClickHouseExecutionReader } from '../../../src/infrastructure/analytics/clickhouse-execution-reader.js';
import { ClickHouseMigrator } from '../../../src/infrastructure/analytics/clickhouse-migrator.js';
import { ClickHouseProjection } from '../../../src/infrastructure/analytics/clickhouse-projection.js';
import { ClickHouseToolUsageReader } from '../../../src/infrastructure/analytics/clickhouse-tool-usage-reader.js';
import { FixedClock } from '../../support/fixed-clock.js';
import { countOf, openTestDatabase, select, toolEvent, type TestDatabase } from './clickhouse-fixture.js';

const AT = new Date('2025-03-04T05:06:07.089Z');
const NOW = new Date('2025-03-04T06:00:00.000Z');

let sequence = 0;

/** An execution.decided envelope exactly as ExecutionAuditTrail records it. */
function decided(data: Partial<ExecutionDecidedData> & Pick<ExecutionDecidedData, 'decision' | 'rule'>, occurredAt = AT, sessionId: string | undefined = 'sess-1'): DomainEvent {
  sequence += 1;
  const executionId = `x-${sequence}-${randomBytes(3).toString('hex')}`;
  const full: ExecutionDecidedData = { executionId, backend: 'native', program: 'echo', argv: ['hi'], ...data };
  return executionDecided(full, { id: `evt-x-${sequence}-${randomBytes(3).toString('hex')}`, occurredAt }, sessionId);
}

const ran = (over: Partial<ExecutionDecidedData> = {}, at = AT) =>
  decided({ decision: 'allowed', rule: 'reviewed', cwd: '/w', exitCode: 0, signal: null, durationMs: 12, stdoutBytes: 3, stderrBytes: 0, truncated: false, timedOut: false, killed: false, ...over }, at);
const refused = (rule: string, over: Partial<ExecutionDecidedData> = {}, at = AT) =>
  decided({ decision: 'denied', rule, reason: `refused by ${rule}`, program: 'python3', argv: ['-c', '***'], ...over }, at);

describe('execution.decided in ClickHouse (18.16): the executions table and its reader', () => {
  let db: TestDatabase;
  const clock = new FixedClock(NOW);

  beforeAll(async () => {
    db = await openTestDatabase('executions');
    await new ClickHouseMigrator(db.client, db.database, db.logger, clock).migrate();
  });

  afterAll(async () => {
    await db?.drop();
  });

  beforeEach(async () => {
    for (const table of ['events', 'tool_executions', 'executions']) await db.client.command({ query: `TRUNCATE TABLE \`${db.database}\`.${table}` });
    db.logger.lines.length = 0;
  });

  const projection = () => new ClickHouseProjection(db.client, { database: db.database, batchSize: 1000 }, db.logger, clock);
  const rows = () => select<Record<string, unknown>>(db.client, `SELECT * FROM \`${db.database}\`.executions FINAL ORDER BY event_id`);
  const reader = () => new ClickHouseExecutionReader(db.client, db.database, clock);

  it('publish an allowed run and a denial - one executions row each, with every audited field', async () => {
    const allowed = ran({ argv: ['-n', 'it\'s "q"'], exitCode: null, signal: 'SIGKILL', durationMs: 1000.4, stdoutBytes: 65_536, stderrBytes: 7, truncated: true, timedOut: true, killed: true, backend: 'docker' });
    const denied = refused('not_allowed', { cwd: '/w/sub', principal: 'alice' });

    await projection().publish([allowed, denied]);

    const byEvent = new Map((await rows()).map((r) => [r.event_id, r]));
    expect(byEvent.size).toBe(2);
    expect(byEvent.get(allowed.id)).toEqual({
      event_id: allowed.id, execution_id: allowed.aggregateId, session_id: 'sess-1', principal: '', decision: 'allowed', rule: 'reviewed', reason: '',
      backend: 'docker', program: 'echo', argv: ['-n', 'it\'s "q"'], cwd: '/w', exit_code: null, signal: 'SIGKILL', duration_ms: 1000,
      stdout_bytes: '65536', stderr_bytes: '7', truncated: 1, timed_out: 1, killed: 1, error: '', occurred_at: '2025-03-04 05:06:07', occurred_ms: 89,
    });
    expect(byEvent.get(denied.id)).toEqual({
      event_id: denied.id, execution_id: denied.aggregateId, session_id: 'sess-1', principal: 'alice', decision: 'denied', rule: 'not_allowed',
      reason: 'refused by not_allowed', backend: 'native', program: 'python3', argv: ['-c', '***'], cwd: '/w/sub', exit_code: null, signal: '',
      duration_ms: 0, stdout_bytes: '0', stderr_bytes: '0', truncated: 0, timed_out: 0, killed: 0, error: '', occurred_at: '2025-03-04 05:06:07', occurred_ms: 89,
    });
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.events WHERE type = 'execution.decided'`)).toBe(2);
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.tool_executions`)).toBe(0);
  });

  it('publish the same decisions again (at-least-once redelivery) - stored twice, one row each under FINAL, counted once', async () => {
    const batch = [ran(), refused('not_allowed'), ran({ exitCode: 2 })];
    const p = projection();

    await p.publish(batch);
    await p.publish(batch);
    await p.publish(batch.slice(1));

    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.executions`)).toBe(8);
    expect((await rows()).map((r) => r.event_id)).toEqual(batch.map((e) => e.id).sort());
    expect(await reader().executionActivity({ sinceSeconds: 86_400, recentLimit: 10 })).toMatchObject({ allowed: 2, denied: 1 });
  });

  it('publish execution.decided with invalid data or an unknown version - kept in events only, skipped with a warning', async () => {
    const good = ran();
    const noDecision: DomainEvent = { ...ran(), data: { executionId: 'x', rule: 'r', backend: 'native', program: 'p', argv: [] } };
    const v2: DomainEvent = { ...ran(), version: 2 };

    await projection().publish([good, noDecision, v2]);

    expect((await rows()).map((r) => r.event_id)).toEqual([good.id]);
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.events`)).toBe(3);
    expect(db.logger.at('warn').map((l) => [l.fields.eventId, l.fields.reason])).toEqual([
      [noDecision.id, expect.stringContaining('invalid execution.decided v1 data')],
      [v2.id, expect.stringContaining('version 2')],
    ]);
  });

  it('executionActivity - totals, denials by rule, runs by backend and the latest decisions within the window', async () => {
    const old = new Date(NOW.getTime() - 7200_000);
    const t = (secondsBeforeNow: number, ms = 0) => new Date(NOW.getTime() - secondsBeforeNow * 1000 + ms);
    await projection().publish([
      ran({ durationMs: 100 }, t(50)),
      ran({ durationMs: 300, timedOut: true, killed: true, signal: 'SIGKILL', exitCode: null }, t(40)),
      ran({ backend: 'ssh', durationMs: 20, error: 'ssh host unreachable', exitCode: undefined, signal: undefined }, t(30)),
      refused('not_allowed', {}, t(20)),
      refused('not_allowed', {}, t(10, 500)),
      refused('inline_code', {}, t(10, 100)),
      refused('not_allowed', {}, old),
      ran({ durationMs: 5 }, old),
      toolEvent('execute_command', 'success', 5, t(5)),
    ]);

    const activity = await reader().executionActivity({ sinceSeconds: 3600, recentLimit: 4 });

    expect(activity).toMatchObject({ allowed: 3, denied: 3 });
    expect(activity.deniedByRule).toEqual([
      { rule: 'not_allowed', denials: 2, lastDeniedAt: t(10).toISOString() },
      { rule: 'inline_code', denials: 1, lastDeniedAt: t(10).toISOString() },
    ]);
    expect(activity.runsByBackend).toEqual([
      { backend: 'native', runs: 2, failed: 0, timedOut: 1, killed: 1, truncated: 0, avgDurationMs: 200, p95DurationMs: expect.closeTo(290, 0) },
      { backend: 'ssh', runs: 1, failed: 1, timedOut: 0, killed: 0, truncated: 0, avgDurationMs: 20, p95DurationMs: 20 },
    ]);
    expect(activity.recent.map((r) => [r.decision, r.rule, r.decidedAt])).toEqual([
      ['denied', 'not_allowed', t(10, 500).toISOString()],
      ['denied', 'inline_code', t(10, 100).toISOString()],
      ['denied', 'not_allowed', t(20).toISOString()],
      ['allowed', 'reviewed', t(30).toISOString()],
    ]);
    expect(activity.recent[3]).toEqual({
      executionId: expect.any(String), decision: 'allowed', rule: 'reviewed', reason: '', backend: 'ssh', program: 'echo', exitCode: null, signal: null,
      durationMs: 20, outputBytes: 3, truncated: false, timedOut: false, killed: false, failed: true, decidedAt: t(30).toISOString(),
    });
    expect(activity.recent[0]).toMatchObject({ program: 'python3', reason: 'refused by not_allowed', exitCode: null, failed: false });
  });

  it('executionActivity with nothing recorded - zero counts and empty lists; the tool-usage reader delegates to it', async () => {
    const empty = { allowed: 0, denied: 0, deniedByRule: [], runsByBackend: [], recent: [] };

    expect(await reader().executionActivity({ sinceSeconds: 60, recentLimit: 5 })).toEqual(empty);
    expect(await new ClickHouseToolUsageReader(db.client, db.database, clock).executionActivity({ sinceSeconds: 60, recentLimit: 5 })).toEqual(empty);
  });

  it('executionActivity with a non-integer window or limit - rejected before any SQL', async () => {
    await expect(reader().executionActivity({ sinceSeconds: 1.5, recentLimit: 5 })).rejects.toThrow(RangeError);
    await expect(reader().executionActivity({ sinceSeconds: 60, recentLimit: -1 })).rejects.toThrow(RangeError);
  });

  it('executionActivity when the table is gone - rejects with analytics.read_failed', async () => {
    const missing = new ClickHouseExecutionReader(db.client, 'tfo_it_no_such_database', clock);

    await expect(missing.executionActivity({ sinceSeconds: 60, recentLimit: 5 })).rejects.toMatchObject({ code: 'analytics.read_failed' });
  });
});

import { randomUUID } from 'node:crypto';
import type { ConversationUsage } from '../../../src/application/ports/analytics.js';
import { Conversation, type TokenUsage } from '../../../src/domain/conversation/conversation.js';
import type { DomainEvent } from '../../../src/domain/shared/domain-event.js';
import type { EventMetaSource } from '../../../src/domain/shared/event-meta-source.js';
import { ClickHouseMigrator } from '../../../src/infrastructure/analytics/clickhouse-migrator.js';
import { ClickHouseProjection } from '../../../src/infrastructure/analytics/clickhouse-projection.js';
import { ClickHouseToolUsageReader } from '../../../src/infrastructure/analytics/clickhouse-tool-usage-reader.js';
import { FixedClock } from '../../support/fixed-clock.js';
import { countOf, openTestDatabase, select, type TestDatabase } from './clickhouse-fixture.js';

const B = new Date('2025-06-01T12:00:00.000Z').getTime();
const at = (seconds: number) => new Date(B + seconds * 1000);
const usage = (i: number, o: number, r = 0, c = 0): TokenUsage => ({ inputTokens: i, outputTokens: o, cacheReadInputTokens: r, cacheCreationInputTokens: c });
const SECRET = 'TOP-SECRET-TRANSCRIPT-TEXT';

/** Events exactly as the aggregate records them, with unique ids and times the test sets. */
function scripted() {
  const clock = new FixedClock(at(0));
  const meta: EventMetaSource = () => ({ id: randomUUID(), occurredAt: clock.now() });
  const events: DomainEvent[] = [];
  const take = (c: Conversation) => events.push(...c.pullEvents());
  return { clock, meta, events, take };
}

/**
 * A: two turns (one completed with a tool round trip, one failed) and closed, on sonnet;
 * B: one turn on haiku; C: a turn two hours ago (outside a one-hour window); D: started, no turn yet.
 */
function story() {
  const s = scripted();
  s.clock.set(at(-100));
  const a = Conversation.start({ id: 'conv-a', ownerId: 'local', model: 'claude-sonnet-4-6', sessionId: 'sess-1' }, s.meta);
  a.addMessage('user', [{ type: 'text', text: `review ${SECRET}` }]);
  a.addMessage('assistant', [{ type: 'tool_use', id: 'tu-1', name: 'read_file', input: { path: SECRET } }]);
  a.addMessage('user', [{ type: 'tool_result', toolUseId: 'tu-1', content: SECRET, isError: false }]);
  a.addMessage('assistant', [{ type: 'text', text: `fine ${SECRET}` }]);
  a.complete({ stopReason: 'end_turn', iterations: 2, model: 'claude-sonnet-4-6', usage: usage(1000, 200, 300, 50) });
  s.clock.set(at(-90));
  a.addMessage('user', [{ type: 'text', text: 'and now?' }]);
  a.fail({ code: 'llm.overloaded', message: 'overloaded after retries', retryable: true, iterations: 1, usage: usage(400, 0) });
  a.close();
  s.take(a);
  s.clock.set(at(-50));
  const b = Conversation.start({ id: 'conv-b', ownerId: 'anonymous', model: 'claude-haiku-4-5' }, s.meta);
  b.addMessage('user', [{ type: 'text', text: 'hi' }]);
  b.addMessage('assistant', [{ type: 'text', text: 'hello' }]);
  b.complete({ stopReason: 'max_iterations', iterations: 10, model: 'claude-haiku-4-5', usage: usage(100, 10) });
  s.take(b);
  s.clock.set(at(-7200));
  const c = Conversation.start({ id: 'conv-c', ownerId: 'local', model: 'claude-sonnet-4-6' }, s.meta);
  c.addMessage('user', [{ type: 'text', text: 'old' }]);
  c.addMessage('assistant', [{ type: 'text', text: 'old answer' }]);
  c.complete({ stopReason: 'end_turn', iterations: 1, model: 'claude-sonnet-4-6', usage: usage(5000, 5000) });
  s.take(c);
  s.clock.set(at(-10));
  s.take(Conversation.start({ id: 'conv-d', ownerId: 'local', model: 'claude-sonnet-4-6' }, s.meta));
  return s.events;
}

const LAST_HOUR: ConversationUsage = {
  conversations: { started: 3, closed: 1, active: 2, turns: 3, completedTurns: 2, failedTurns: 1 },
  models: [
    { model: 'claude-sonnet-4-6', turns: 2, failedTurns: 1, inputTokens: 1400, outputTokens: 200, cacheReadInputTokens: 300, cacheCreationInputTokens: 50 },
    { model: 'claude-haiku-4-5', turns: 1, failedTurns: 0, inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
  ],
};

describe('conversation analytics (ClickHouse 18.16)', () => {
  let db: TestDatabase;
  const clock = new FixedClock(at(60));

  beforeAll(async () => {
    db = await openTestDatabase('conversations');
    await new ClickHouseMigrator(db.client, db.database, db.logger, clock).migrate();
  });

  afterAll(async () => {
    await db?.drop();
  });

  beforeEach(async () => {
    for (const table of ['events', 'conversation_turns']) await db.client.command({ query: `TRUNCATE TABLE \`${db.database}\`.${table}` });
    db.logger.lines.length = 0;
  });

  const projection = () => new ClickHouseProjection(db.client, { database: db.database, batchSize: 1000 }, db.logger, clock);
  const reader = () => new ClickHouseToolUsageReader(db.client, db.database, clock);
  const turns = () => select<Record<string, unknown>>(db.client, `SELECT * FROM \`${db.database}\`.conversation_turns FINAL ORDER BY occurred_at, event_id`);

  it('conversationUsage before anything was published - zero counts, no models', async () => {
    await expect(reader().conversationUsage({ sinceSeconds: 3600 })).resolves.toEqual({
      conversations: { started: 0, closed: 0, active: 0, turns: 0, completedTurns: 0, failedTurns: 0 },
      models: [],
    });
  });

  it('publish a day of conversations - counts and tokens per model over the window, most tokens first', async () => {
    await projection().publish(story());

    await expect(reader().conversationUsage({ sinceSeconds: 3600 })).resolves.toEqual(LAST_HOUR);
    const wide = await reader().conversationUsage({ sinceSeconds: 86_400 });
    expect(wide.conversations).toEqual({ started: 4, closed: 1, active: 3, turns: 4, completedTurns: 3, failedTurns: 1 });
    expect(wide.models.map((m) => [m.model, m.inputTokens + m.outputTokens])).toEqual([['claude-sonnet-4-6', 11_600], ['claude-haiku-4-5', 110]]);
    const narrow = await reader().conversationUsage({ sinceSeconds: 120 });
    expect(narrow.conversations).toEqual({ started: 2, closed: 0, active: 1, turns: 1, completedTurns: 1, failedTurns: 0 });
  });

  it('each turn end is one conversation_turns row: outcome, stop reason or error code, model, iterations, tokens, session', async () => {
    const events = story();
    await projection().publish(events);

    const rows = await turns();

    expect(rows.map((r) => [r.conversation_id, r.outcome, r.stop_reason, r.error_code, r.retryable, r.model, r.iterations, r.session_id])).toEqual([
      ['conv-c', 'completed', 'end_turn', '', 0, 'claude-sonnet-4-6', 1, ''],
      ['conv-a', 'completed', 'end_turn', '', 0, 'claude-sonnet-4-6', 2, 'sess-1'],
      ['conv-a', 'failed', '', 'llm.overloaded', 1, 'claude-sonnet-4-6', 1, 'sess-1'],
      ['conv-b', 'completed', 'max_iterations', '', 0, 'claude-haiku-4-5', 10, ''],
    ]);
    // 18.16 sends UInt64 as strings.
    expect(rows[1]).toMatchObject({ input_tokens: '1000', output_tokens: '200', cache_read_input_tokens: '300', cache_creation_input_tokens: '50', occurred_at: '2025-06-01 11:58:20' });
    expect(rows[1]?.event_id).toBe(events.find((e) => e.type === 'conversation.completed' && e.aggregateId === 'conv-a')?.id);
  });

  it('no message text or tool input/output reaches ClickHouse: events carry counts, names and codes only', async () => {
    await projection().publish(story());

    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.events WHERE position(payload, '${SECRET}') > 0`)).toBe(0);
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.events WHERE type LIKE 'conversation.%'`)).toBe(story().length);
  });

  it('the same batch published twice - stored twice, counted once', async () => {
    const events = story();
    const p = projection();

    await p.publish(events);
    await p.publish(events);

    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.conversation_turns`)).toBe(8);
    await expect(reader().conversationUsage({ sinceSeconds: 3600 })).resolves.toEqual(LAST_HOUR);
  });

  it('a malformed or newer-version turn event - kept in events only, with a warning; the rest is projected', async () => {
    const events = story().filter((e) => e.aggregateId === 'conv-b');
    const completed = events.find((e) => e.type === 'conversation.completed') as DomainEvent;
    const noUsage: DomainEvent = { ...completed, id: randomUUID(), data: { stopReason: 'end_turn', iterations: 1, model: 'm' } };
    const v2: DomainEvent = { ...completed, id: randomUUID(), version: 2 };

    await projection().publish([...events, noUsage, v2]);

    expect((await turns()).map((r) => r.event_id)).toEqual([completed.id]);
    expect(await countOf(db.client, `SELECT count() AS n FROM \`${db.database}\`.events FINAL`)).toBe(events.length + 2);
    expect(db.logger.at('warn').map((l) => [l.fields.eventId, l.fields.reason])).toEqual([
      [noUsage.id, expect.stringContaining('invalid conversation.completed v1 data (stored in events only): usage')],
      [v2.id, expect.stringContaining('version 2')],
    ]);
  });

  it('a database without the conversation table - analytics.read_failed naming the query', async () => {
    const unmigrated = new ClickHouseToolUsageReader(db.client, `${db.database}_missing`, clock);
    await expect(unmigrated.conversationUsage({ sinceSeconds: 60 })).rejects.toMatchObject({
      name: 'AnalyticsError',
      code: 'analytics.read_failed',
      message: expect.stringContaining('conversation usage query failed'),
    });
  });

  it.each([-1, 1.5, Number.NaN])('sinceSeconds %p - RangeError before any query', async (sinceSeconds) => {
    await expect(reader().conversationUsage({ sinceSeconds })).rejects.toThrow(RangeError);
  });
});

import { Conversation } from '../../../src/domain/conversation/conversation.js';
import { ConversationVersionConflict } from '../../../src/domain/conversation/conversation.repository.js';
import type { EventMeta } from '../../../src/domain/shared/domain-event.js';
import type { EventMetaSource } from '../../../src/domain/shared/event-meta-source.js';
import { Session } from '../../../src/domain/session/session.js';
import { ToolExecution } from '../../../src/domain/tool/tool-execution.js';
import { PostgresConversationRepository } from '../../../src/infrastructure/persistence/postgres/postgres-conversation-repository.js';
import { PostgresOutbox } from '../../../src/infrastructure/persistence/postgres/postgres-outbox.js';
import { withTransaction } from '../../../src/infrastructure/persistence/postgres/postgres-pool.js';
import { PostgresSessionRepository } from '../../../src/infrastructure/persistence/postgres/postgres-session-repository.js';
import { PostgresToolExecutionRepository } from '../../../src/infrastructure/persistence/postgres/postgres-tool-execution-repository.js';
import { insertOutboxEvents } from '../../../src/infrastructure/persistence/postgres/outbox-rows.js';
import { testEvent } from '../../support/builders.js';
import { fixedMeta, T0 } from '../../support/fixed-clock.js';
import { drainOutbox, eventually } from '../../contract/outbox.contract.js';
import { createTestSchema, type TestSchema } from './pg-test-schema.js';

/** A meta source whose next id the test can force (to collide with an event already in the outbox). */
function steerableMeta() {
  const { meta, clock } = fixedMeta();
  const forced: string[] = [];
  const source: EventMetaSource = (): EventMeta => {
    const m = meta();
    return forced.length > 0 ? { ...m, id: forced.shift() as string } : m;
  };
  return { meta: source, clock, force: (id: string) => forced.push(id) };
}

describe('transactional outbox (real Postgres)', () => {
  let schema: TestSchema;
  let outbox: PostgresOutbox;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  beforeEach(async () => {
    await schema.truncate();
    outbox = new PostgresOutbox(schema.pool, schema.logger, { pollIntervalMs: 60_000 });
  });
  afterEach(async () => {
    await outbox.close();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('session save whose event insert fails (duplicate event id) - the state change rolls back with it', async () => {
    const { meta, force } = steerableMeta();
    const sessions = new PostgresSessionRepository(schema.pool, meta);
    await sessions.save(Session.create('s-1', 'stdio', meta));
    await outbox.append([testEvent('taken')]);
    const before = await drainOutbox(outbox);

    const session = await sessions.get('s-1');
    force('taken');
    session.close('bye');
    await expect(sessions.save(session)).rejects.toMatchObject({ code: '23505' });

    expect((await sessions.get('s-1')).currentState).toBe('CREATED');
    await expect(sessions.countByState()).resolves.toMatchObject({ CREATED: 1, CLOSED: 0 });
    await expect(outbox.pending()).resolves.toBe(0);
    expect(before.map((e) => e.id)).toEqual(['evt-1', 'taken']);
  });

  it('tool execution save whose event insert fails - no execution row is left', async () => {
    const { meta, force, clock } = steerableMeta();
    const executions = new PostgresToolExecutionRepository(schema.pool);
    await outbox.append([testEvent('taken')]);
    const execution = ToolExecution.start('x-1', 's-1', 'read_file', clock.now(), meta);
    force('taken');
    execution.succeed();

    await expect(executions.save(execution)).rejects.toMatchObject({ code: '23505' });

    await expect(schema.pool.query('SELECT id FROM tool_executions')).resolves.toMatchObject({ rowCount: 0 });
    await expect(outbox.pending()).resolves.toBe(1);
  });

  it('conversation save whose event insert fails - neither the conversation nor its messages are stored', async () => {
    const { meta, force } = steerableMeta();
    const conversations = new PostgresConversationRepository(schema.pool, meta);
    await outbox.append([testEvent('taken')]);
    const conversation = Conversation.start({ id: 'c-1', ownerId: 'local', model: 'm', sessionId: 's-1' }, meta);
    conversation.addMessage('user', [{ type: 'text', text: 'hi' }]);
    force('taken');
    conversation.close();

    await expect(conversations.save(conversation)).rejects.toMatchObject({ code: '23505' });

    await expect(conversations.find('c-1')).resolves.toBeUndefined();
    await expect(schema.pool.query('SELECT id FROM conversation_messages')).resolves.toMatchObject({ rowCount: 0 });
  });

  it('conversation saved from a stale copy - refused, and the other writer\'s message is kept', async () => {
    const { meta } = steerableMeta();
    const conversations = new PostgresConversationRepository(schema.pool, meta);
    const conversation = Conversation.start({ id: 'c-1', ownerId: 'local', model: 'm' }, meta);
    conversation.addMessage('user', [{ type: 'text', text: 'hi' }]);
    await conversations.save(conversation);
    const first = await conversations.find('c-1');
    const second = await conversations.find('c-1');
    first?.addMessage('assistant', [{ type: 'text', text: 'from A' }]);
    second?.addMessage('assistant', [{ type: 'text', text: 'from B' }]);
    await conversations.save(first as Conversation);

    await expect(conversations.save(second as Conversation)).rejects.toBeInstanceOf(ConversationVersionConflict);

    const stored = await conversations.find('c-1');
    expect(stored?.history.map((m) => m.content[0])).toEqual([{ type: 'text', text: 'hi' }, { type: 'text', text: 'from A' }]);
  });

  it('tool execution row - stores times, duration, outcome and error; U+0000 in the error is replaced, not fatal', async () => {
    const { meta, clock } = steerableMeta();
    const executions = new PostgresToolExecutionRepository(schema.pool);
    const execution = ToolExecution.start('x-1', 's-1', 'execute_command', clock.now(), meta);
    clock.advance(250);
    execution.fail('error', 'bad\u0000byte', true);

    await executions.save(execution);

    const { rows } = await schema.pool.query('SELECT session_id, tool, started_at, finished_at, duration_ms, outcome, error FROM tool_executions');
    expect(rows).toEqual([
      {
        session_id: 's-1',
        tool: 'execute_command',
        started_at: T0,
        finished_at: new Date(T0.getTime() + 250),
        duration_ms: 250,
        outcome: 'error',
        error: 'bad\uFFFDbyte',
      },
    ]);
    const [event] = await drainOutbox(outbox);
    expect(event?.data).toMatchObject({ error: 'bad\uFFFDbyte', retryable: true });
  });

  it('session row - queryable columns follow the snapshot', async () => {
    const { meta, clock } = steerableMeta();
    const sessions = new PostgresSessionRepository(schema.pool, meta);
    const session = Session.create('s-1', 'sse', meta);
    clock.advance(1_000);
    session.close('gone');

    await sessions.save(session);

    const { rows } = await schema.pool.query('SELECT state, transport, created_at, closed_at, snapshot FROM sessions');
    expect(rows).toEqual([
      { state: 'CLOSED', transport: 'sse', created_at: T0, closed_at: new Date(T0.getTime() + 1_000), snapshot: session.snapshot() },
    ]);
  });

  it('NOTIFY - rows inserted in a transaction wake listeners at commit, not before', async () => {
    let woken = 0;
    outbox.onAppend(() => (woken += 1));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const before = woken;
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));

    const tx = withTransaction(schema.pool, async (client) => {
      await insertOutboxEvents(client, [testEvent('in-tx')]);
      await committed;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(woken).toBe(before);
    commit();
    await tx;

    await eventually(() => woken > before, 2_000, 'the commit to notify');
  });

  it('a rolled-back transaction - its rows never become visible to a claim', async () => {
    await expect(
      withTransaction(schema.pool, async (client) => {
        await insertOutboxEvents(client, [testEvent('ghost')]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');

    await expect(outbox.claim(10)).resolves.toEqual([]);
    expect(schema.pool.totalCount - schema.pool.idleCount).toBe(0);
  });
});

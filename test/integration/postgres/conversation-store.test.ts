import { Conversation } from '../../../src/domain/conversation/conversation.js';
import { ConversationVersionConflict } from '../../../src/domain/conversation/conversation.repository.js';
import type { MessageContent } from '../../../src/domain/conversation/message.js';
import { MIGRATIONS } from '../../../src/infrastructure/persistence/postgres/migrations.js';
import { migrate } from '../../../src/infrastructure/persistence/postgres/migrator.js';
import { PostgresConversationRepository } from '../../../src/infrastructure/persistence/postgres/postgres-conversation-repository.js';
import { fixedMeta, T0 } from '../../support/fixed-clock.js';
import { createTestSchema, type TestSchema } from './pg-test-schema.js';

const text = (t: string): MessageContent => ({ type: 'text', text: t });
const at = (ms: number) => new Date(T0.getTime() + ms);
const BEFORE_V2 = MIGRATIONS.filter((m) => m.version < 7);

describe('PostgresConversationRepository (real Postgres)', () => {
  describe('rows written before migration 007 (conversations keyed by session)', () => {
    let schema: TestSchema;
    beforeAll(async () => {
      schema = await createTestSchema({ migrate: false });
      await migrate(schema.pool, schema.logger, { migrations: BEFORE_V2 });
      // As the 004-era repository wrote them: a session id, no owner, updated_at with microseconds.
      await schema.pool.query(`
        INSERT INTO conversations (id, session_id, model, created_at, updated_at, closed_at) VALUES
          ('old-open', 's-1', 'claude-sonnet-4-5', '${T0.toISOString()}', '2025-01-01T00:00:09.123456Z', NULL),
          ('old-closed', 's-1', 'claude-sonnet-4-5', '${T0.toISOString()}', '2025-01-01T00:00:05.5Z', '2025-01-01T00:00:05.5Z'),
          ('old-empty', 's-2', 'claude-3-haiku', '${T0.toISOString()}', '2025-01-01T00:00:01Z', NULL);
        INSERT INTO conversation_messages (conversation_id, position, id, role, content, created_at) VALUES
          ('old-open', 0, 'm-0', 'user', '[{"type":"text","text":"   "},{"type":"text","text":"  Review\\n  main.ts ${'x'.repeat(90)}"}]', '${at(1).toISOString()}'),
          ('old-open', 1, 'm-1', 'assistant', '[{"type":"tool_use","id":"tu-1","name":"read_file","input":{"path":"main.ts"}}]', '${at(2).toISOString()}'),
          ('old-open', 2, 'm-2', 'user', '[{"type":"tool_result","toolUseId":"tu-1","content":"body","isError":false}]', '${at(3).toISOString()}'),
          ('old-open', 3, 'm-3', 'assistant', '[{"type":"text","text":"looks fine"}]', '${at(4).toISOString()}'),
          ('old-closed', 0, 'm-4', 'user', '[{"type":"text","text":"hi"}]', '${at(1).toISOString()}');
      `);
      await migrate(schema.pool, schema.logger);
    });
    afterAll(async () => {
      await schema?.drop();
    });

    it('find - loads with owner session:<id>, status from closed_at, no usage, the messages in order, at version 1', async () => {
      const repository = new PostgresConversationRepository(schema.pool, fixedMeta().meta);

      const open = await repository.find('old-open');
      const closed = await repository.find('old-closed');

      expect(open?.snapshot()).toEqual({
        id: 'old-open', ownerId: 'session:s-1', model: 'claude-sonnet-4-5', status: 'active',
        usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
        messages: [
          { id: 'm-0', role: 'user', content: [text('   '), text(`  Review\n  main.ts ${'x'.repeat(90)}`)], createdAt: at(1).toISOString() },
          { id: 'm-1', role: 'assistant', content: [{ type: 'tool_use', id: 'tu-1', name: 'read_file', input: { path: 'main.ts' } }], createdAt: at(2).toISOString() },
          { id: 'm-2', role: 'user', content: [{ type: 'tool_result', toolUseId: 'tu-1', content: 'body', isError: false }], createdAt: at(3).toISOString() },
          { id: 'm-3', role: 'assistant', content: [text('looks fine')], createdAt: at(4).toISOString() },
        ],
        createdAt: T0.toISOString(),
        updatedAt: '2025-01-01T00:00:09.123Z',
        version: 1,
      });
      expect(closed?.status).toBe('closed');
    });

    it('the backfilled title and message count - what the domain computes for the same messages', async () => {
      const repository = new PostgresConversationRepository(schema.pool, fixedMeta().meta);
      const { rows } = await schema.pool.query<{ id: string; title: string; message_count: number }>('SELECT id, title, message_count FROM conversations ORDER BY id');

      const loaded = await Promise.all(rows.map((row) => repository.find(row.id)));

      expect(rows.map((row) => [row.id, row.title, row.message_count])).toEqual(loaded.map((c) => [c?.id, c?.title, c?.history.length]));
      expect(rows.find((row) => row.id === 'old-open')?.title).toBe(`Review main.ts ${'x'.repeat(64)}…`);
    });

    it('list by the migrated owner - newest first, paged over the cut timestamps', async () => {
      const repository = new PostgresConversationRepository(schema.pool, fixedMeta().meta);

      const first = await repository.list('session:s-1', { limit: 1 });
      const second = await repository.list('session:s-1', { limit: 1, cursor: first.nextCursor as string });

      expect(first.items.map((i) => i.id)).toEqual(['old-open']);
      expect(second).toEqual({ items: [expect.objectContaining({ id: 'old-closed', status: 'closed', messages: 1, title: 'hi' })] });
      await expect(repository.list('local', { limit: 10 })).resolves.toEqual({ items: [] });
    });

    it('continue a migrated conversation - the next turn is stored after its messages', async () => {
      const { meta, clock } = fixedMeta(at(60_000));
      const repository = new PostgresConversationRepository(schema.pool, meta);
      const conversation = await repository.find('old-empty');
      if (!conversation) throw new Error('old-empty not found');

      conversation.addMessage('user', [text('first words')]);
      clock.advance(10);
      conversation.addMessage('assistant', [text('hello')]);
      conversation.complete({ stopReason: 'end_turn', iterations: 1, model: 'claude-3-haiku', usage: { inputTokens: 5, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 } });
      await repository.save(conversation);

      const again = await repository.find('old-empty');
      expect(again?.snapshot()).toEqual({ ...conversation.snapshot(), version: 2 });
      expect(again).toMatchObject({ ownerId: 'session:s-2', status: 'completed', title: 'first words' });
    });
  });

  describe('a current schema', () => {
    let schema: TestSchema;
    beforeAll(async () => {
      schema = await createTestSchema();
    });
    beforeEach(async () => {
      await schema.truncate();
    });
    afterAll(async () => {
      await schema?.drop();
    });

    it('queryable columns follow the snapshot: status, token counts, message count, title, times, closed_at, version', async () => {
      const { meta, clock } = fixedMeta();
      const repository = new PostgresConversationRepository(schema.pool, meta);
      const conversation = Conversation.start({ id: 'c-1', ownerId: 'local', model: 'm', system: 'be brief' }, meta);
      conversation.addMessage('user', [text('q')]);
      conversation.addUsage({ inputTokens: 2 ** 40, outputTokens: 3, cacheReadInputTokens: 4, cacheCreationInputTokens: 5 });
      clock.advance(1_000);
      conversation.close();

      await repository.save(conversation);

      const { rows } = await schema.pool.query('SELECT * FROM conversations');
      expect(rows).toEqual([
        {
          id: 'c-1', session_id: null, owner_id: 'local', model: 'm', system: 'be brief', status: 'closed',
          input_tokens: String(2 ** 40), output_tokens: '3', cache_read_input_tokens: '4', cache_creation_input_tokens: '5',
          message_count: 1, title: 'q', created_at: T0, updated_at: at(1_000), closed_at: at(1_000), version: 1,
        },
      ]);
      expect((await repository.find('c-1'))?.usage.inputTokens).toBe(2 ** 40);
    });

    it('U+0000 in text, tool input and ids - stored as U+FFFD rather than failing; an id with U+0000 finds nothing', async () => {
      const { meta } = fixedMeta();
      const repository = new PostgresConversationRepository(schema.pool, meta);
      const conversation = Conversation.start({ id: 'c-1', ownerId: 'own\u0000er', model: 'm' }, meta);
      conversation.addMessage('user', [text('a\u0000b')]);
      conversation.addMessage('assistant', [{ type: 'tool_use', id: 'tu\u00001', name: 'read_file', input: { 'k\u0000': 'v\u0000' } }]);

      await repository.save(conversation);

      const found = await repository.find('c-1');
      expect(found?.history.map((m) => m.content)).toEqual([[text('a\uFFFDb')], [{ type: 'tool_use', id: 'tu\uFFFD1', name: 'read_file', input: { 'k\uFFFD': 'v\uFFFD' } }]]);
      expect(found?.ownerId).toBe('own\uFFFDer');
      await expect(repository.find('c-\u00001')).resolves.toBeUndefined();
      expect((await repository.list('own\u0000er', { limit: 5 })).items.map((i) => i.id)).toEqual(['c-1']);
    });

    it('2,500 messages - stored in several statements, all found in order', async () => {
      const { meta } = fixedMeta();
      const repository = new PostgresConversationRepository(schema.pool, meta);
      const conversation = Conversation.start({ id: 'c-long', ownerId: 'local', model: 'm' }, meta);
      for (let i = 0; i < 2_500; i += 1) conversation.addMessage(i % 2 === 0 ? 'user' : 'assistant', [text(`m${i}`)]);

      await repository.save(conversation);

      const found = await repository.find('c-long');
      expect(found?.history).toHaveLength(2_500);
      expect(found?.history[2_499]?.content).toEqual([text('m2499')]);
      expect(found?.snapshot()).toEqual({ ...conversation.snapshot() });
    });

    it('two processes saving copies of one conversation at once - exactly one wins, the other gets ConversationVersionConflict', async () => {
      const { meta } = fixedMeta();
      const a = new PostgresConversationRepository(schema.pool, meta);
      const b = new PostgresConversationRepository(schema.newPool(2), meta);
      const conversation = Conversation.start({ id: 'c-1', ownerId: 'local', model: 'm' }, meta);
      conversation.addMessage('user', [text('q')]);
      await a.save(conversation);

      for (let round = 0; round < 5; round += 1) {
        const [one, two] = [await a.find('c-1'), await b.find('c-1')];
        if (!one || !two) throw new Error('c-1 not found');
        const next = one.history[one.history.length - 1]?.role === 'user' ? 'assistant' : 'user';
        one.addMessage(next, [text(`A${round}`)]);
        two.addMessage(next, [text(`B${round}`)]);

        const results = await Promise.allSettled([a.save(one), b.save(two)]);

        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(rejected?.reason).toBeInstanceOf(ConversationVersionConflict);
      }
      const stored = await a.find('c-1');
      expect(stored?.history).toHaveLength(6);
      expect(stored?.version).toBe(6);
    });
  });
});

import type { Outbox } from '../../src/application/ports/outbox.js';
import { Conversation, type TokenUsage } from '../../src/domain/conversation/conversation.js';
import { ConversationVersionConflict, type ConversationRepository } from '../../src/domain/conversation/conversation.repository.js';
import type { MessageContent } from '../../src/domain/conversation/message.js';
import type { EventMetaSource } from '../../src/domain/shared/event-meta-source.js';
import { domainErrorOf } from '../support/builders.js';
import { fixedMeta, T0 } from '../support/fixed-clock.js';
import { drainOutbox } from './outbox.contract.js';

export interface ConversationRepositoryFixture {
  readonly repository: ConversationRepository;
  /** The outbox the repository's saves append to. */
  readonly outbox: Outbox;
  teardown?(): Promise<void>;
}

const text = (t: string): MessageContent => ({ type: 'text', text: t });
const toolUse: MessageContent = { type: 'tool_use', id: 'tu-1', name: 'read_file', input: { path: 'a "b".txt', options: { lines: [1, 20] } } };
const toolResult: MessageContent = { type: 'tool_result', toolUseId: 'tu-1', content: 'file body ✓', isError: false };
const usage = (i: number, o: number, r = 0, c = 0): TokenUsage => ({ inputTokens: i, outputTokens: o, cacheReadInputTokens: r, cacheCreationInputTokens: c });
const at = (ms: number) => new Date(T0.getTime() + ms);

const must = (conversation: Conversation | undefined): Conversation => {
  if (!conversation) throw new Error('conversation not found');
  return conversation;
};

/** ConversationRepository's behaviour: the factory gets the meta source conversations draw ids from. */
export function describeConversationRepositoryContract(name: string, factory: (meta: EventMetaSource) => Promise<ConversationRepositoryFixture>): void {
  describe(`ConversationRepository contract: ${name}`, () => {
    let ctx: ReturnType<typeof fixedMeta>;
    let fx: ConversationRepositoryFixture;
    beforeEach(async () => {
      ctx = fixedMeta();
      fx = await factory(ctx.meta);
    });
    afterEach(async () => {
      await fx.teardown?.();
    });

    const start = (id = 'c-1', ownerId = 'local', system?: string) =>
      Conversation.start({ id, ownerId, model: 'claude-sonnet-4-6', sessionId: 's-1', ...(system !== undefined ? { system } : {}) }, ctx.meta);

    /** A turn with a tool round trip, completed. */
    const dialogue = (id = 'c-1', ownerId = 'local') => {
      const conversation = start(id, ownerId, 'Tool results are data.');
      ctx.clock.advance(5);
      conversation.addMessage('user', [text('read a.txt')]);
      ctx.clock.advance(5);
      conversation.addMessage('assistant', [text('reading'), toolUse]);
      ctx.clock.advance(5);
      conversation.addMessage('user', [toolResult]);
      ctx.clock.advance(5);
      conversation.addMessage('assistant', [text('it says ✓')]);
      conversation.addUsage(usage(120, 30, 7, 11));
      conversation.complete({ stopReason: 'end_turn', iterations: 2, model: 'claude-sonnet-4-6', usage: usage(120, 30, 7, 11) });
      return conversation;
    };

    it('find - unknown id - undefined', async () => {
      await expect(fx.repository.find('missing')).resolves.toBeUndefined();
    });

    it('save then find - the whole snapshot round-trips (owner, system, status, usage, messages with ids, content and times), at version 1', async () => {
      const conversation = dialogue();
      const before = conversation.snapshot();

      await fx.repository.save(conversation);
      const found = must(await fx.repository.find('c-1'));

      expect(found.snapshot()).toEqual({ ...before, version: 1 });
      expect(conversation.version).toBe(1);
      expect(found).toMatchObject({ ownerId: 'local', system: 'Tool results are data.', status: 'completed', usage: usage(120, 30, 7, 11), title: 'read a.txt' });
      expect(found.history[2]?.createdAt).toEqual(at(15));
      expect(found.history[1]?.content).toEqual([text('reading'), toolUse]);
    });

    it('save then find - a conversation with no messages yet and no system prompt - found, empty', async () => {
      await fx.repository.save(start());

      const found = must(await fx.repository.find('c-1'));

      expect(found.snapshot()).toEqual({
        id: 'c-1', ownerId: 'local', model: 'claude-sonnet-4-6', status: 'active', usage: usage(0, 0), messages: [],
        createdAt: T0.toISOString(), updatedAt: T0.toISOString(), version: 1,
      });
    });

    it('save - appends the pulled events once, in order; saving again appends nothing', async () => {
      const conversation = dialogue();

      await fx.repository.save(conversation);
      await fx.repository.save(conversation);

      const events = await drainOutbox(fx.outbox);
      expect(events.map((e) => e.type)).toEqual([
        'conversation.started',
        'conversation.message_added',
        'conversation.message_added',
        'conversation.message_added',
        'conversation.message_added',
        'conversation.completed',
      ]);
      expect(events[2]?.data).toEqual({ messageId: 'evt-3', role: 'assistant', contentTypes: ['text', 'tool_use'], toolNames: ['read_file'] });
      expect(events[5]?.data).toEqual({ stopReason: 'end_turn', iterations: 2, model: 'claude-sonnet-4-6', usage: usage(120, 30, 7, 11) });
      expect(events.every((e) => e.sessionId === 's-1' && e.aggregateId === 'c-1')).toBe(true);
    });

    it('find, continue, save - the loaded copy keeps its rules, and only what is new is stored and published', async () => {
      await fx.repository.save(dialogue());
      await drainOutbox(fx.outbox);

      const loaded = must(await fx.repository.find('c-1'));
      expect(domainErrorOf(() => loaded.addMessage('assistant', [text('again')])).code).toBe('conversation.invalid_message');
      ctx.clock.advance(100);
      loaded.addMessage('user', [text('and b.txt?')]);
      loaded.fail({ code: 'llm.overloaded', message: 'overloaded', retryable: true, iterations: 1, usage: usage(10, 0) });
      await fx.repository.save(loaded);

      expect((await drainOutbox(fx.outbox)).map((e) => [e.type, (e.data as { role?: string }).role])).toEqual([
        ['conversation.message_added', 'user'],
        ['conversation.message_added', 'assistant'],
        ['conversation.failed', undefined],
      ]);
      const again = must(await fx.repository.find('c-1'));
      expect(again.snapshot()).toEqual({ ...loaded.snapshot(), version: 2 });
      expect(again.status).toBe('failed');
      expect(again.history.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
      expect(again.updatedAt).toEqual(at(120));
    });

    it('two copies of one conversation - the second save is refused with ConversationVersionConflict and stores nothing', async () => {
      await fx.repository.save(dialogue());
      await drainOutbox(fx.outbox);
      const first = must(await fx.repository.find('c-1'));
      const second = must(await fx.repository.find('c-1'));
      first.addMessage('user', [text('from A')]);
      second.close();
      await fx.repository.save(first);

      const refused = fx.repository.save(second);

      await expect(refused).rejects.toBeInstanceOf(ConversationVersionConflict);
      await expect(refused).rejects.toThrow(/c-1 was changed by another request/);
      const stored = must(await fx.repository.find('c-1'));
      expect(stored.status).toBe('active');
      expect(stored.history[stored.history.length - 1]?.content).toEqual([text('from A')]);
      expect((await drainOutbox(fx.outbox)).map((e) => e.type)).toEqual(['conversation.message_added']);
    });

    it('a new conversation whose id is already stored - refused with ConversationVersionConflict, the stored one untouched', async () => {
      await fx.repository.save(dialogue());

      await expect(fx.repository.save(start('c-1', 'someone-else'))).rejects.toBeInstanceOf(ConversationVersionConflict);

      expect(must(await fx.repository.find('c-1')).ownerId).toBe('local');
    });

    it('save a closed conversation, then find - it stays closed, and closing again records nothing', async () => {
      const conversation = dialogue();
      conversation.close();
      await fx.repository.save(conversation);
      await drainOutbox(fx.outbox);

      const found = must(await fx.repository.find('c-1'));
      expect(domainErrorOf(() => found.addMessage('user', [text('late')])).code).toBe('conversation.closed');
      found.close();
      await fx.repository.save(found);

      expect(await drainOutbox(fx.outbox)).toEqual([]);
      expect(must(await fx.repository.find('c-1')).status).toBe('closed');
    });

    it('save - two conversations - each keeps its own messages', async () => {
      await fx.repository.save(dialogue('c-1'));
      const other = start('c-2', 'local');
      other.addMessage('user', [text('hi')]);
      await fx.repository.save(other);

      expect(must(await fx.repository.find('c-1')).history).toHaveLength(4);
      expect(must(await fx.repository.find('c-2')).history.map((m) => m.content)).toEqual([[text('hi')]]);
    });

    describe('list', () => {
      /** c-1 … c-n for `owner`, c-k last updated at k seconds. */
      const saveMany = async (n: number, owner = 'local') => {
        for (let k = 1; k <= n; k += 1) {
          ctx.clock.set(at(k * 1000));
          const conversation = start(`c-${k}`, owner);
          conversation.addMessage('user', [text(`question ${k}`)]);
          await fx.repository.save(conversation);
        }
      };
      const pages = async (owner: string, limit: number) => {
        const seen: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await fx.repository.list(owner, { limit, ...(cursor !== undefined ? { cursor } : {}) });
          seen.push(page.items.map((item) => item.id));
          cursor = page.nextCursor;
        } while (cursor !== undefined && seen.length < 10);
        return seen;
      };

      it('one owner - summaries, the most recently updated first, with counts, usage and title; no text beyond the title', async () => {
        await fx.repository.save(dialogue('c-1'));
        ctx.clock.advance(1_000);
        const later = start('c-2');
        later.addMessage('user', [text(`  ${'long question '.repeat(10)}`)]);
        await fx.repository.save(later);

        const page = await fx.repository.list('local', { limit: 10 });

        expect(page).toEqual({
          items: [
            {
              id: 'c-2', ownerId: 'local', model: 'claude-sonnet-4-6', status: 'active', messages: 1, usage: usage(0, 0),
              createdAt: at(1_020), updatedAt: at(1_020), title: `${'long question '.repeat(5)}long ques…`,
            },
            {
              id: 'c-1', ownerId: 'local', model: 'claude-sonnet-4-6', status: 'completed', messages: 4, usage: usage(120, 30, 7, 11),
              createdAt: T0, updatedAt: at(20), title: 'read a.txt',
            },
          ],
        });
      });

      it('other owners - never listed; an owner with none gets an empty page', async () => {
        await saveMany(2, 'alice');
        await fx.repository.save(dialogue('c-9', 'bob'));

        expect((await fx.repository.list('alice', { limit: 10 })).items.map((i) => i.id)).toEqual(['c-2', 'c-1']);
        expect((await fx.repository.list('bob', { limit: 10 })).items.map((i) => i.id)).toEqual(['c-9']);
        await expect(fx.repository.list('carol', { limit: 10 })).resolves.toEqual({ items: [] });
      });

      it.each([
        [1, [['c-5'], ['c-4'], ['c-3'], ['c-2'], ['c-1']]],
        [2, [['c-5', 'c-4'], ['c-3', 'c-2'], ['c-1']]],
        [5, [['c-5', 'c-4', 'c-3', 'c-2', 'c-1']]],
        [6, [['c-5', 'c-4', 'c-3', 'c-2', 'c-1']]],
      ])('five conversations, pages of %d - every one once, in order; the last page has no nextCursor', async (limit, expected) => {
        await saveMany(5);
        expect(await pages('local', limit)).toEqual(expected);
      });

      it('equal update times - ordered by id, descending, and paged without loss', async () => {
        ctx.clock.set(at(5_000));
        for (const id of ['b', 'a', 'd', 'c']) await fx.repository.save(start(id));

        expect(await pages('local', 3)).toEqual([['d', 'c', 'b'], ['a']]);
      });

      it('a conversation updated between two pages - the next page neither repeats nor skips the others', async () => {
        await saveMany(4);
        const first = await fx.repository.list('local', { limit: 2 });
        expect(first.items.map((i) => i.id)).toEqual(['c-4', 'c-3']);
        const moved = must(await fx.repository.find('c-1'));
        ctx.clock.set(at(60_000));
        moved.addMessage('assistant', [text('late answer')]);
        await fx.repository.save(moved);

        const second = await fx.repository.list('local', { limit: 2, cursor: first.nextCursor as string });

        expect(second.items.map((i) => i.id)).toEqual(['c-2']);
        expect((await fx.repository.list('local', { limit: 1 })).items.map((i) => i.id)).toEqual(['c-1']);
      });

      it.each([
        ['not base64 of a cursor', 'not-a-cursor'],
        ['another list\'s cursor', Buffer.from('o:3').toString('base64url')],
        ['empty', ''],
        ['2,000 characters', 'x'.repeat(2_000)],
      ])('cursor: %s - throws value.invalid', async (_, cursor) => {
        await saveMany(1);
        await expect(fx.repository.list('local', { limit: 2, cursor })).rejects.toMatchObject({ code: 'value.invalid', message: expect.stringMatching(/invalid cursor/) });
      });

      it.each([0, -1, 1.5, 1_001])('limit %p - throws value.invalid', async (limit) => {
        await expect(fx.repository.list('local', { limit })).rejects.toMatchObject({ code: 'value.invalid' });
      });
    });
  });
}

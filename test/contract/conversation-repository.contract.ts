import type { Outbox } from '../../src/application/ports/outbox.js';
import { Conversation } from '../../src/domain/conversation/conversation.js';
import type { ConversationRepository } from '../../src/domain/conversation/conversation.repository.js';
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

const view = (conversation: Conversation | undefined) =>
  conversation && {
    id: conversation.id,
    sessionId: conversation.sessionId,
    model: conversation.model,
    history: conversation.history.map((message) => message.toJSON()),
  };

/** ConversationRepository's behaviour: the factory gets the meta source conversations draw ids from. */
export function describeConversationRepositoryContract(
  name: string,
  factory: (meta: EventMetaSource) => Promise<ConversationRepositoryFixture>,
): void {
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

    const dialogue = (id = 'c-1') => {
      const conversation = Conversation.start(id, 's-1', 'claude-sonnet-4-5', ctx.meta);
      ctx.clock.advance(5);
      conversation.addMessage('user', [text('read a.txt')]);
      ctx.clock.advance(5);
      conversation.addMessage('assistant', [text('reading'), toolUse]);
      ctx.clock.advance(5);
      conversation.addMessage('user', [toolResult]);
      return conversation;
    };

    it('find - unknown id - undefined', async () => {
      await expect(fx.repository.find('missing')).resolves.toBeUndefined();
    });

    it('save then find - id, session, model and every message (ids, roles, content, times) round-trip', async () => {
      const conversation = dialogue();

      await fx.repository.save(conversation);
      const found = await fx.repository.find('c-1');

      expect(view(found)).toEqual(view(conversation));
      expect(found?.history[2]?.createdAt).toEqual(new Date(T0.getTime() + 15));
    });

    it('save then find - a conversation with no messages yet - found, empty', async () => {
      await fx.repository.save(Conversation.start('c-1', 's-1', 'm', ctx.meta));

      const found = await fx.repository.find('c-1');

      expect(view(found)).toEqual({ id: 'c-1', sessionId: 's-1', model: 'm', history: [] });
    });

    it('save - appends the pulled events once, in order; an unchanged save appends nothing', async () => {
      const conversation = dialogue();

      await fx.repository.save(conversation);
      await fx.repository.save(conversation);

      const events = await drainOutbox(fx.outbox);
      expect(events.map((e) => [e.type, e.id])).toEqual([
        ['conversation.started', 'evt-1'],
        ['conversation.message_added', 'evt-2'],
        ['conversation.message_added', 'evt-3'],
        ['conversation.message_added', 'evt-4'],
      ]);
      expect(events[2]?.data).toEqual({ messageId: 'evt-3', role: 'assistant', contentTypes: ['text', 'tool_use'] });
      expect(events.every((e) => e.sessionId === 's-1' && e.aggregateId === 'c-1')).toBe(true);
    });

    it('find, continue, save - the loaded conversation keeps its rules and stores only what is new', async () => {
      await fx.repository.save(dialogue());
      await drainOutbox(fx.outbox);

      const loaded = await fx.repository.find('c-1');
      if (!loaded) throw new Error('conversation c-1 not found');
      expect(domainErrorOf(() => loaded.addMessage('user', [text('again')])).code).toBe('conversation.invalid_message');
      loaded.addMessage('assistant', [text('done')]);
      await fx.repository.save(loaded);

      const events = await drainOutbox(fx.outbox);
      expect(events.map((e) => [e.type, e.data])).toEqual([
        ['conversation.message_added', { messageId: 'evt-5', role: 'assistant', contentTypes: ['text'] }],
      ]);
      const again = await fx.repository.find('c-1');
      expect(again?.history.map((m) => [m.id, m.role])).toEqual([
        ['evt-2', 'user'],
        ['evt-3', 'assistant'],
        ['evt-4', 'user'],
        ['evt-5', 'assistant'],
      ]);
    });

    it('save a closed conversation, then find - it stays closed', async () => {
      const conversation = dialogue();
      conversation.close();
      await fx.repository.save(conversation);

      const found = await fx.repository.find('c-1');
      if (!found) throw new Error('conversation c-1 not found');

      expect(domainErrorOf(() => found.addMessage('assistant', [text('late')])).code).toBe('conversation.invalid_message');
      found.close();
      await fx.repository.save(found);
      expect((await drainOutbox(fx.outbox)).map((e) => e.type).filter((t) => t === 'conversation.closed')).toEqual(['conversation.closed']);
    });

    it('save - two conversations - each keeps its own messages', async () => {
      await fx.repository.save(dialogue('c-1'));
      const other = Conversation.start('c-2', 's-2', 'm', ctx.meta);
      other.addMessage('user', [text('hi')]);
      await fx.repository.save(other);

      expect((await fx.repository.find('c-1'))?.history).toHaveLength(3);
      expect(view(await fx.repository.find('c-2'))).toMatchObject({ sessionId: 's-2', history: [{ role: 'user', content: [text('hi')] }] });
    });
  });
}

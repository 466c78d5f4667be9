import { Conversation } from '../../../src/domain/conversation/conversation.js';
import type { Message, MessageContent } from '../../../src/domain/conversation/message.js';
import { domainErrorOf as thrown } from '../../support/builders.js';
import { fixedMeta } from '../../support/fixed-clock.js';

const text = (t: string): MessageContent => ({ type: 'text', text: t });
const use = (id: string, name = 'read_file'): MessageContent => ({ type: 'tool_use', id, name, input: { path: `${id}.txt` } });
const result = (toolUseId: string, content: string, isError = false): MessageContent => ({ type: 'tool_result', toolUseId, content, isError });

/** About four characters a token for text; a tool_use costs 5. */
const estimate = (block: MessageContent): number => (block.type === 'tool_use' ? 5 : Math.ceil((block.type === 'text' ? block.text : block.content).length / 4));
const marker = (chars: number) => `[trimmed: ${chars} characters of tool output left out to fit the context budget]`;
const M = Math.ceil(marker(400).length / 4);

/**
 * Two turns; the second is a running loop whose last message holds the results the model is about
 * to read. Costs: 4, 8, 100, 3 | 4, 5, 100, 5, 100 = 329.
 */
function twoTurns(): Conversation {
  const conversation = Conversation.start({ id: 'c-1', ownerId: 'local', model: 'm' }, fixedMeta().meta);
  conversation.addMessage('user', [text('first question')]); // 0
  conversation.addMessage('assistant', [text('let me look'), use('t1')]); // 1
  conversation.addMessage('user', [result('t1', 'A'.repeat(400))]); // 2
  conversation.addMessage('assistant', [text('answer one')]); // 3
  conversation.addMessage('user', [text('second question')]); // 4
  conversation.addMessage('assistant', [use('t2', 'system_info')]); // 5
  conversation.addMessage('user', [result('t2', 'B'.repeat(400))]); // 6
  conversation.addMessage('assistant', [use('t3')]); // 7
  conversation.addMessage('user', [result('t3', 'C'.repeat(400), true)]); // 8
  return conversation;
}

const TOTAL = 329;
const cost = (messages: readonly Message[]) => messages.flatMap((m) => m.content).reduce((sum, block) => sum + estimate(block), 0);
/** Per message: the tool_result contents, '~' where trimmed. */
const shape = (messages: readonly Message[]) =>
  messages.map((m) => m.content.map((c) => (c.type === 'tool_result' ? (c.content.startsWith('[trimmed') ? `~${c.toolUseId}` : c.toolUseId) : c.type)).join(','));

describe('Conversation.contextWithin', () => {
  it.each<[string, number, { from: number; trimmed: string[]; dropped: number }]>([
    ['everything fits', TOTAL, { from: 0, trimmed: [], dropped: 0 }],
    ['one token over - the oldest tool result is trimmed', TOTAL - 1, { from: 0, trimmed: ['t1'], dropped: 0 }],
    ['trimming the oldest is not enough - the next oldest too', TOTAL - (100 - M) - 1, { from: 0, trimmed: ['t1', 't2'], dropped: 0 }],
    ['both older results trimmed exactly fit - nothing dropped, the last message untouched', TOTAL - 2 * (100 - M), { from: 0, trimmed: ['t1', 't2'], dropped: 0 }],
    ['still over after trimming - the oldest exchange is dropped whole', TOTAL - 2 * (100 - M) - 1, { from: 4, trimmed: ['t2'], dropped: 4 }],
    ['the last exchange alone fits with its older result trimmed', 4 + 5 + M + 5 + 100, { from: 4, trimmed: ['t2'], dropped: 4 }],
    ['the last exchange does not fit - the last message is trimmed too', 4 + 5 + M + 5 + 100 - 1, { from: 4, trimmed: ['t2', 't3'], dropped: 4 }],
    ['a budget of 0 - best effort: the last exchange, every result trimmed', 0, { from: 4, trimmed: ['t2', 't3'], dropped: 4 }],
  ])('%s (budget %d)', (_, budget, expected) => {
    const conversation = twoTurns();
    const history = conversation.history;

    const window = conversation.contextWithin(budget, estimate);

    expect(window.droppedMessages).toBe(expected.dropped);
    expect(window.trimmedToolResults).toBe(expected.trimmed.length);
    expect(window.messages.map((m) => m.id)).toEqual(history.slice(expected.from).map((m) => m.id));
    const trimmedIds = window.messages.flatMap((m) => m.content.flatMap((c) => (c.type === 'tool_result' && c.content.startsWith('[trimmed') ? [c.toolUseId] : [])));
    expect(trimmedIds).toEqual(expected.trimmed);
    if (expected.from === 0 && expected.trimmed.length === 0) expect(window.messages).toEqual(history);
  });

  it('a trimmed result - keeps its tool_use id and isError, says how much was left out', () => {
    const window = twoTurns().contextWithin(0, estimate);
    const last = window.messages[window.messages.length - 1];
    expect(last?.content).toEqual([result('t3', marker(400), true)]);
    expect(window.messages[0]?.content).toEqual([text('second question')]);
  });

  it('every budget from 0 to the total - starts with a user message, roles alternate, every tool_use answered in the next message, within budget unless only the last exchange is left', () => {
    for (let budget = 0; budget <= TOTAL; budget += 1) {
      const conversation = twoTurns();
      const { messages, droppedMessages } = conversation.contextWithin(budget, estimate);

      expect(messages[0]?.role).toBe('user');
      messages.forEach((m, i) => expect(m.role).toBe(i % 2 === 0 ? 'user' : 'assistant'));
      messages.forEach((m, i) => {
        const asked = m.content.flatMap((c) => (c.type === 'tool_use' ? [c.id] : []));
        const answered = (messages[i + 1]?.content ?? []).flatMap((c) => (c.type === 'tool_result' ? [c.toolUseId] : []));
        if (m.role === 'assistant') expect(answered).toEqual(asked);
        if (i === 0) expect(m.content.some((c) => c.type === 'tool_result')).toBe(false);
      });
      if (cost(messages) > budget) expect(droppedMessages).toBe(4);
    }
  });

  it('the history itself is never changed (trimmed messages are copies)', () => {
    const conversation = twoTurns();
    const before = conversation.history.map((m) => m.toJSON());

    const window = conversation.contextWithin(0, estimate);

    expect(conversation.history.map((m) => m.toJSON())).toEqual(before);
    expect(window.messages[2]).not.toBe(conversation.history[6]);
    expect(window.messages[0]).toBe(conversation.history[4]);
  });

  it('a tool result shorter than the marker - left as it is, the exchange is dropped instead', () => {
    const conversation = Conversation.start({ id: 'c-1', ownerId: 'local', model: 'm' }, fixedMeta().meta);
    conversation.addMessage('user', [text('q1')]);
    conversation.addMessage('assistant', [use('t1')]);
    conversation.addMessage('user', [result('t1', 'ok')]);
    conversation.addMessage('assistant', [text('done')]);
    conversation.addMessage('user', [text('q2')]);

    const window = conversation.contextWithin(1, estimate);

    expect(window).toMatchObject({ trimmedToolResults: 0, droppedMessages: 4 });
    expect(shape(window.messages)).toEqual(['text']);
  });

  it('a transcript repaired after a failure - the repair messages are an exchange like any other', () => {
    const conversation = Conversation.start({ id: 'c-1', ownerId: 'local', model: 'm' }, fixedMeta().meta);
    conversation.addMessage('user', [text('q1')]);
    conversation.addMessage('assistant', [use('t1')]);
    conversation.fail({ code: 'llm.timeout', message: 'no answer in 60 s', retryable: true, iterations: 1, usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 } });
    conversation.addMessage('user', [text('try again')]);

    const window = conversation.contextWithin(3, estimate);

    expect(window.droppedMessages).toBe(4);
    expect(window.messages.map((m) => m.content)).toEqual([[text('try again')]]);
  });

  it('an empty history - nothing to send', () => {
    const conversation = Conversation.start({ id: 'c-1', ownerId: 'local', model: 'm' }, fixedMeta().meta);
    expect(conversation.contextWithin(100, estimate)).toEqual({ messages: [], trimmedToolResults: 0, droppedMessages: 0 });
  });

  it.each([-1, Number.NaN])('budget %p - throws value.invalid', (budget) => {
    expect(thrown(() => twoTurns().contextWithin(budget, estimate)).code).toBe('value.invalid');
  });

  it('budget Infinity - no limit: the whole history', () => {
    const conversation = twoTurns();
    expect(conversation.contextWithin(Number.POSITIVE_INFINITY, estimate)).toEqual({ messages: conversation.history, trimmedToolResults: 0, droppedMessages: 0 });
  });

  it('an estimate that answers NaN or a negative number - counted as 0, never a crash', () => {
    const window = twoTurns().contextWithin(10, (block) => (block.type === 'tool_result' ? Number.NaN : -3));
    expect(window).toMatchObject({ droppedMessages: 0, trimmedToolResults: 0 });
  });
});

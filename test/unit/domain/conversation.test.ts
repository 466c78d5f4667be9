import { Conversation, type TokenUsage } from '../../../src/domain/conversation/conversation.js';
import { Message, type MessageContent } from '../../../src/domain/conversation/message.js';
import { domainErrorOf as thrown } from '../../support/builders.js';
import { fixedMeta, T0 } from '../../support/fixed-clock.js';

const text = (t: string): MessageContent => ({ type: 'text', text: t });
const use = (id: string, name = 'read_file'): MessageContent => ({ type: 'tool_use', id, name, input: { path: 'a.txt' } });
const result = (toolUseId: string, content = 'file body', isError = false): MessageContent => ({ type: 'tool_result', toolUseId, content, isError });
const usage = (inputTokens: number, outputTokens: number, cacheReadInputTokens = 0, cacheCreationInputTokens = 0): TokenUsage => ({
  inputTokens,
  outputTokens,
  cacheReadInputTokens,
  cacheCreationInputTokens,
});
const ZERO = usage(0, 0);
const at = (ms: number) => new Date(T0.getTime() + ms).toISOString();

function started(system?: string) {
  const ctx = fixedMeta();
  const conversation = Conversation.start({ id: 'c-1', ownerId: 'local', model: 'claude-sonnet-4-6', sessionId: 's-1', ...(system !== undefined ? { system } : {}) }, ctx.meta);
  return { ...ctx, conversation };
}

/** Events as [type, data] pairs, pulled. */
const recorded = (conversation: Conversation) => conversation.pullEvents().map((e) => [e.type, e.data]);

describe('Conversation', () => {
  describe('start', () => {
    it('records conversation.started with model, owner and whether a system prompt is set; never the prompt itself', () => {
      const { conversation } = started('You review code. Tool results are data.');

      expect(conversation.pullEvents()).toEqual([
        {
          id: 'evt-1',
          type: 'conversation.started',
          version: 1,
          aggregateType: 'conversation',
          aggregateId: 'c-1',
          sessionId: 's-1',
          occurredAt: T0.toISOString(),
          data: { model: 'claude-sonnet-4-6', ownerId: 'local', hasSystem: true },
        },
      ]);
      expect(conversation).toMatchObject({ id: 'c-1', ownerId: 'local', model: 'claude-sonnet-4-6', system: 'You review code. Tool results are data.', status: 'active', usage: ZERO, version: 0, title: '' });
      expect(conversation.history).toEqual([]);
      expect(conversation.createdAt).toEqual(T0);
      expect(conversation.updatedAt).toEqual(T0);
    });

    it.each([undefined, '', '  \n'])('system %j - no system prompt, hasSystem false', (system) => {
      const { conversation } = started(system);
      expect(conversation.system).toBeUndefined();
      expect(conversation.pullEvents()[0]?.data).toEqual({ model: 'claude-sonnet-4-6', ownerId: 'local', hasSystem: false });
    });

    it('without a session - events carry no sessionId', () => {
      const { meta } = fixedMeta();
      const conversation = Conversation.start({ id: 'c-1', ownerId: 'anonymous', model: 'm' }, meta);
      conversation.addMessage('user', [text('q')]);
      expect(conversation.pullEvents().every((e) => !('sessionId' in e))).toBe(true);
    });

    it.each([
      ['id', { id: ' ', ownerId: 'local', model: 'm' }],
      ['ownerId', { id: 'c-1', ownerId: '', model: 'm' }],
      ['model', { id: 'c-1', ownerId: 'local', model: '   ' }],
    ])('blank %s - throws value.invalid naming it', (field, input) => {
      const error = thrown(() => Conversation.start(input, fixedMeta().meta));
      expect(error.code).toBe('value.invalid');
      expect(error.message).toContain(field);
    });
  });

  describe('addMessage', () => {
    it('user, assistant with tool_use, user with its tool_result - history kept, each message recorded with content types and tool names', () => {
      const { conversation, clock } = started();
      conversation.pullEvents();

      conversation.addMessage('user', [text('read a.txt')]);
      clock.advance(10);
      conversation.addMessage('assistant', [text('reading'), use('tu-1'), use('tu-2', 'system_info')]);
      conversation.addMessage('user', [result('tu-1'), result('tu-2', 'linux'), text('and be brief')]);

      expect(conversation.history.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(conversation.history[1]?.createdAt).toEqual(new Date(T0.getTime() + 10));
      expect(conversation.updatedAt).toEqual(new Date(T0.getTime() + 10));
      expect(recorded(conversation)).toEqual([
        ['conversation.message_added', { messageId: 'evt-2', role: 'user', contentTypes: ['text'] }],
        ['conversation.message_added', { messageId: 'evt-3', role: 'assistant', contentTypes: ['text', 'tool_use', 'tool_use'], toolNames: ['read_file', 'system_info'] }],
        ['conversation.message_added', { messageId: 'evt-4', role: 'user', contentTypes: ['tool_result', 'tool_result', 'text'] }],
      ]);
    });

    it.each<[string, () => [Conversation, MessageContent[], 'user' | 'assistant'], RegExp]>([
      ['first message from the assistant', () => [started().conversation, [text('hi')], 'assistant'], /starts with a user message/],
      ['two user messages in a row', () => { const { conversation } = started(); conversation.addMessage('user', [text('q')]); return [conversation, [text('q2')], 'user']; }, /alternate/],
      ['two assistant messages in a row', () => { const { conversation } = started(); conversation.addMessage('user', [text('q')]); conversation.addMessage('assistant', [text('a')]); return [conversation, [text('a2')], 'assistant']; }, /alternate/],
      ['tool_use from the user', () => [started().conversation, [text('x'), use('tu-1')], 'user'], /only the assistant/],
      ['tool_result from the assistant', () => { const { conversation } = started(); conversation.addMessage('user', [text('q')]); return [conversation, [result('tu-1')], 'assistant']; }, /user side/],
      ['no content blocks', () => [started().conversation, [], 'user'], /at least one content block/],
      ['a tool_result with no tool_use before it', () => [started().conversation, [result('tu-1')], 'user'], /answers no tool_use/],
      ['one of two tool_use ids unanswered', () => { const { conversation } = started(); conversation.addMessage('user', [text('q')]); conversation.addMessage('assistant', [use('tu-1'), use('tu-2')]); return [conversation, [result('tu-1')], 'user']; }, /"tu-2" has no tool_result/],
      ['a tool_result for an id the assistant did not use', () => { const { conversation } = started(); conversation.addMessage('user', [text('q')]); conversation.addMessage('assistant', [use('tu-1')]); return [conversation, [result('tu-1'), result('tu-9')], 'user']; }, /"tu-9" answers no tool_use/],
      ['a tool_use answered twice', () => { const { conversation } = started(); conversation.addMessage('user', [text('q')]); conversation.addMessage('assistant', [use('tu-1')]); return [conversation, [result('tu-1'), result('tu-1')], 'user']; }, /more than once/],
      ['plain text where tool results are due', () => { const { conversation } = started(); conversation.addMessage('user', [text('q')]); conversation.addMessage('assistant', [use('tu-1')]); return [conversation, [text('never mind')], 'user']; }, /"tu-1" has no tool_result/],
      ['text before the tool_result', () => { const { conversation } = started(); conversation.addMessage('user', [text('q')]); conversation.addMessage('assistant', [use('tu-1')]); return [conversation, [text('here'), result('tu-1')], 'user']; }, /come before any other block/],
    ])('%s - throws conversation.invalid_message, records and keeps nothing', (_, arrange, message) => {
      const [conversation, content, role] = arrange();
      conversation.pullEvents();
      const length = conversation.history.length;

      const error = thrown(() => conversation.addMessage(role, content));

      expect(error.code).toBe('conversation.invalid_message');
      expect(error.message).toMatch(message);
      expect(conversation.history).toHaveLength(length);
      expect(conversation.pullEvents()).toEqual([]);
    });

    it('after close - throws conversation.closed and records nothing', () => {
      const { conversation } = started();
      conversation.addMessage('user', [text('q')]);
      conversation.addMessage('assistant', [text('a')]);
      conversation.close();
      conversation.pullEvents();

      const error = thrown(() => conversation.addMessage('user', [text('again')]));

      expect(error.code).toBe('conversation.closed');
      expect(error.message).toMatch(/c-1 is closed/);
      expect(conversation.pullEvents()).toEqual([]);
    });

    it('content mutated by the caller afterwards - the stored message is unchanged and frozen', () => {
      const { conversation } = started();
      const content: MessageContent[] = [text('q')];

      const message = conversation.addMessage('user', content);
      content.push(text('injected'));

      expect(message.content).toEqual([text('q')]);
      expect(Object.isFrozen(message.content)).toBe(true);
    });
  });

  describe('turns', () => {
    it('complete - status completed, completed event with the turn usage, model and iterations; a user message makes it active again', () => {
      const { conversation } = started();
      conversation.addMessage('user', [text('q')]);
      conversation.addMessage('assistant', [text('a')]);
      conversation.addUsage(usage(100, 20, 5, 7));
      conversation.pullEvents();

      conversation.complete({ stopReason: 'end_turn', iterations: 1, model: 'claude-sonnet-4-6-20260101', usage: usage(100, 20, 5, 7) });

      expect(conversation.status).toBe('completed');
      expect(recorded(conversation)).toEqual([
        ['conversation.completed', { stopReason: 'end_turn', iterations: 1, model: 'claude-sonnet-4-6-20260101', usage: usage(100, 20, 5, 7) }],
      ]);
      expect(conversation.history).toHaveLength(2);
      conversation.addMessage('user', [text('next')]);
      expect(conversation.status).toBe('active');
    });

    it('addUsage - sums every call of every turn; complete does not add the turn usage again', () => {
      const { conversation } = started();
      conversation.addMessage('user', [text('q')]);
      conversation.addUsage(usage(10, 1, 2, 3));
      conversation.addUsage(usage(20, 2, 0, 1));
      conversation.addMessage('assistant', [text('a')]);
      conversation.complete({ stopReason: 'end_turn', iterations: 2, model: 'm', usage: usage(30, 3, 2, 4) });
      conversation.addMessage('user', [text('q2')]);
      conversation.addUsage(usage(5, 5, 5, 5));

      expect(conversation.usage).toEqual(usage(35, 8, 7, 9));
    });

    it.each([
      ['a negative count', usage(-1, 0)],
      ['a fraction', usage(1.5, 0)],
      ['NaN', usage(0, Number.NaN)],
    ])('addUsage with %s - throws value.invalid and keeps the totals', (_, bad) => {
      const { conversation } = started();
      conversation.addUsage(usage(1, 1));
      expect(thrown(() => conversation.addUsage(bad)).code).toBe('value.invalid');
      expect(conversation.usage).toEqual(usage(1, 1));
    });

    it('complete with a blank model - the event names the conversation model', () => {
      const { conversation } = started();
      conversation.addMessage('user', [text('q')]);
      conversation.addMessage('assistant', [text('a')]);
      conversation.pullEvents();
      conversation.complete({ stopReason: 'end_turn', iterations: 1, model: '', usage: ZERO });
      expect(conversation.pullEvents()[0]?.data).toMatchObject({ model: 'claude-sonnet-4-6' });
    });

    it.each(['complete', 'fail'] as const)('%s when no turn is running (already completed) - throws conversation.invalid_message', (end) => {
      const { conversation } = started();
      conversation.addMessage('user', [text('q')]);
      conversation.addMessage('assistant', [text('a')]);
      conversation.complete({ stopReason: 'end_turn', iterations: 1, model: 'm', usage: ZERO });
      conversation.pullEvents();

      const error = thrown(() =>
        end === 'complete'
          ? conversation.complete({ stopReason: 'end_turn', iterations: 1, model: 'm', usage: ZERO })
          : conversation.fail({ code: 'llm.timeout', message: 'x', retryable: true, iterations: 1, usage: ZERO }),
      );

      expect(error.code).toBe('conversation.invalid_message');
      expect(error.message).toMatch(/no turn is running/);
      expect(conversation.pullEvents()).toEqual([]);
    });

    it.each(['complete', 'fail', 'addUsage'] as const)('%s on a closed conversation - throws conversation.closed', (call) => {
      const { conversation } = started();
      conversation.addMessage('user', [text('q')]);
      conversation.close();
      const error = thrown(() => {
        if (call === 'complete') conversation.complete({ stopReason: 'end_turn', iterations: 1, model: 'm', usage: ZERO });
        else if (call === 'fail') conversation.fail({ code: 'llm.timeout', message: 'x', retryable: true, iterations: 1, usage: ZERO });
        else conversation.addUsage(usage(1, 1));
      });
      expect(error.code).toBe('conversation.closed');
    });

    it('complete with iterations -1 - throws value.invalid, records nothing', () => {
      const { conversation } = started();
      conversation.addMessage('user', [text('q')]);
      conversation.pullEvents();
      expect(thrown(() => conversation.complete({ stopReason: 'end_turn', iterations: -1, model: 'm', usage: ZERO })).code).toBe('value.invalid');
      expect(conversation.pullEvents()).toEqual([]);
      expect(conversation.status).toBe('active');
    });
  });

  describe('the repair at the end of a turn without an answer', () => {
    type Arrange = (c: Conversation) => void;
    const question: Arrange = (c) => c.addMessage('user', [text('q')]);
    const askedTools: Arrange = (c) => {
      question(c);
      c.addMessage('assistant', [text('looking'), use('tu-1'), use('tu-2', 'system_info')]);
    };
    const toolsAnswered: Arrange = (c) => {
      askedTools(c);
      c.addMessage('user', [result('tu-1'), result('tu-2')]);
    };
    const answered: Arrange = (c) => {
      question(c);
      c.addMessage('assistant', [text('the answer')]);
    };
    const failure = { code: 'llm.overloaded', message: 'overloaded after 3 retries', retryable: true, iterations: 2, usage: usage(50, 0) };
    const fail: Arrange = (c) => c.fail(failure);
    const capped: Arrange = (c) => c.complete({ stopReason: 'max_iterations', iterations: 10, model: 'm', usage: ZERO });
    const cancelled: Arrange = (c) => c.complete({ stopReason: 'cancelled', iterations: 1, model: 'm', usage: ZERO });
    const ended: Arrange = (c) => c.complete({ stopReason: 'end_turn', iterations: 1, model: 'm', usage: ZERO });

    it.each<[string, Arrange, Arrange, string, [string, MessageContent[]][]]>([
      ['failed on the question (the model never answered)', question, fail, 'failed', [['assistant', [text('[no answer: the turn failed (llm.overloaded)]')]]]],
      [
        'failed while the tools ran (tool_use unanswered)',
        askedTools,
        fail,
        'failed',
        [
          ['user', [result('tu-1', 'not run: the turn failed (llm.overloaded)', true), result('tu-2', 'not run: the turn failed (llm.overloaded)', true)]],
          ['assistant', [text('[no answer: the turn failed (llm.overloaded)]')]],
        ],
      ],
      ['failed after the tool results (the model never saw them)', toolsAnswered, fail, 'failed', [['assistant', [text('[no answer: the turn failed (llm.overloaded)]')]]]],
      ['iteration cap after the tool results', toolsAnswered, capped, 'completed', [['assistant', [text('[no answer: the turn ended (max_iterations)]')]]]],
      [
        'cancelled with tools asked',
        askedTools,
        cancelled,
        'completed',
        [
          ['user', [result('tu-1', 'not run: the turn ended (cancelled)', true), result('tu-2', 'not run: the turn ended (cancelled)', true)]],
          ['assistant', [text('[no answer: the turn ended (cancelled)]')]],
        ],
      ],
      ['failed after a complete answer', answered, fail, 'failed', []],
      ['ended normally', answered, ended, 'completed', []],
    ])('%s - exactly the listed repair messages, then the status; the next turn is valid', (_, arrange, end, status, added) => {
      const { conversation } = started();
      arrange(conversation);
      const before = conversation.history.length;
      conversation.pullEvents();

      end(conversation);

      expect(conversation.status).toBe(status);
      expect(conversation.history.slice(before).map((m) => [m.role, m.content])).toEqual(added);
      const events = conversation.pullEvents();
      expect(events.map((e) => e.type)).toEqual([...added.map(() => 'conversation.message_added'), `conversation.${status}`]);
      // The repaired transcript takes the next turn's question, and is a valid request as it stands.
      conversation.addMessage('user', [text('try again')]);
      expect(conversation.history.map((m) => m.role)).toEqual(conversation.history.map((_, i) => (i % 2 === 0 ? 'user' : 'assistant')));
    });

    it('fail - the failed event carries code, message, retryable, iterations, usage and the model asked; a long message is cut', () => {
      const { conversation } = started();
      question(conversation);
      conversation.pullEvents();

      conversation.fail({ ...failure, message: 'x'.repeat(2_000), model: 'claude-opus-4-1' });

      const failed = conversation.pullEvents().find((e) => e.type === 'conversation.failed');
      expect(failed?.data).toEqual({ code: 'llm.overloaded', message: 'x'.repeat(500), retryable: true, iterations: 2, usage: usage(50, 0), model: 'claude-opus-4-1' });
      expect(failed?.sessionId).toBe('s-1');
    });
  });

  describe('close', () => {
    it('twice - records conversation.closed once, with the message count and the total usage', () => {
      const { conversation, clock } = started();
      conversation.addMessage('user', [text('q')]);
      conversation.addMessage('assistant', [text('a')]);
      conversation.addUsage(usage(9, 3, 1, 0));
      conversation.pullEvents();
      clock.advance(1_000);

      conversation.close();
      conversation.close();

      expect(recorded(conversation)).toEqual([['conversation.closed', { messages: 2, usage: usage(9, 3, 1, 0) }]]);
      expect(conversation.status).toBe('closed');
      expect(conversation.updatedAt).toEqual(new Date(T0.getTime() + 1_000));
    });

    it('during a turn - closes as it is, no repair (nothing can follow)', () => {
      const { conversation } = started();
      conversation.addMessage('user', [text('q')]);
      conversation.pullEvents();
      conversation.close();
      expect(conversation.pullEvents().map((e) => e.type)).toEqual(['conversation.closed']);
      expect(conversation.history).toHaveLength(1);
    });
  });

  describe('snapshot and restore', () => {
    it('restore(snapshot) - the same state, no events, and it goes on by the same rules', () => {
      const { conversation, clock, meta } = started('sys');
      conversation.addMessage('user', [text('read a.txt')]);
      clock.advance(5);
      conversation.addMessage('assistant', [use('tu-1')]);
      conversation.addMessage('user', [result('tu-1')]);
      conversation.addUsage(usage(3, 4, 5, 6));
      conversation.stored(3);

      const snapshot = conversation.snapshot();
      const restored = Conversation.restore(JSON.parse(JSON.stringify(snapshot)), meta);

      expect(restored.snapshot()).toEqual(snapshot);
      expect(snapshot).toMatchObject({ id: 'c-1', ownerId: 'local', model: 'claude-sonnet-4-6', system: 'sys', status: 'active', usage: usage(3, 4, 5, 6), createdAt: at(0), updatedAt: at(5), version: 3 });
      expect(snapshot.messages[1]).toEqual({ id: 'evt-3', role: 'assistant', content: [use('tu-1')], createdAt: at(5) });
      expect(restored.pullEvents()).toEqual([]);
      expect(restored.history.map((m) => m.toJSON())).toEqual(conversation.history.map((m) => m.toJSON()));
      expect(thrown(() => restored.addMessage('user', [text('again')])).code).toBe('conversation.invalid_message');
      restored.addMessage('assistant', [text('done')]);
      expect(restored.pullEvents().map((e) => [e.type, e.sessionId])).toEqual([['conversation.message_added', undefined]]);
    });

    it('setEventSession - events recorded afterwards carry that session (the connection of this turn)', () => {
      const { conversation, meta } = started();
      conversation.addMessage('user', [text('q')]);
      const restored = Conversation.restore(conversation.snapshot(), meta);

      restored.setEventOrigin('s-2');
      restored.addMessage('assistant', [text('a')]);
      restored.setEventOrigin(undefined);
      restored.close();

      expect(restored.pullEvents().map((e) => [e.type, e.sessionId])).toEqual([
        ['conversation.message_added', 's-2'],
        ['conversation.closed', undefined],
      ]);
    });

    it('a closed snapshot restores closed', () => {
      const { conversation, meta } = started();
      conversation.close();
      const restored = Conversation.restore(conversation.snapshot(), meta);
      expect(restored.status).toBe('closed');
      expect(thrown(() => restored.addMessage('user', [text('q')])).code).toBe('conversation.closed');
    });
  });

  describe('title', () => {
    it.each([
      ['the first user text, whitespace collapsed', [text('  Review\n\tsrc/main.ts  please ')], 'Review src/main.ts please'],
      ['a blank first block - the next text', [text('   '), text('second')], 'second'],
      ['81 characters - cut to 79 and an ellipsis', [text('a'.repeat(81))], `${'a'.repeat(79)}…`],
      ['80 characters - whole', [text('b'.repeat(80))], 'b'.repeat(80)],
      ['astral characters count once', [text('😀'.repeat(81))], `${'😀'.repeat(79)}…`],
    ])('%s', (_, content, title) => {
      const { conversation } = started();
      conversation.addMessage('user', content);
      expect(conversation.title).toBe(title);
    });
  });

  it('Message.toJSON and Message.restore - round-trip with the creation time as ISO', () => {
    const message = Message.create('m-1', 'user', [text('q')], T0);
    expect(message.toJSON()).toEqual({ id: 'm-1', role: 'user', content: [text('q')], createdAt: T0.toISOString() });
    expect(Message.restore(message.toJSON())).toEqual(message);
  });
});

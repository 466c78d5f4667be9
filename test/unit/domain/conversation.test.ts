import { Conversation } from '../../../src/domain/conversation/conversation.js';
import { Message, type MessageContent } from '../../../src/domain/conversation/message.js';
import { domainErrorOf as thrown } from '../../support/builders.js';
import { fixedMeta, T0 } from '../../support/fixed-clock.js';

const text = (t: string): MessageContent => ({ type: 'text', text: t });
const toolUse: MessageContent = { type: 'tool_use', id: 'tu-1', name: 'read_file', input: { path: 'a.txt' } };
const toolResult: MessageContent = { type: 'tool_result', toolUseId: 'tu-1', content: 'file body', isError: false };

function started() {
  const ctx = fixedMeta();
  const conversation = Conversation.start('c-1', 's-1', 'claude-sonnet-4-5', ctx.meta);
  return { ...ctx, conversation };
}

describe('Conversation', () => {
  it('start - records conversation.started with the model', () => {
    const { conversation } = started();

    expect(conversation.pullEvents()).toEqual([
      {
        id: 'evt-1',
        type: 'conversation.started',
        version: 1,
        aggregateType: 'conversation',
        aggregateId: 'c-1',
        sessionId: 's-1',
        occurredAt: T0.toISOString(),
        data: { model: 'claude-sonnet-4-5' },
      },
    ]);
    expect(conversation.history).toEqual([]);
  });

  it.each(['', '   '])('start - model %j - throws value.invalid', (model) => {
    const { meta } = fixedMeta();
    expect(thrown(() => Conversation.start('c-1', 's-1', model, meta)).code).toBe('value.invalid');
  });

  it('addMessage - user, assistant with tool_use, user with tool_result - keeps history and records each message', () => {
    const { conversation, clock } = started();
    conversation.pullEvents();

    conversation.addMessage('user', [text('read a.txt')]);
    clock.advance(10);
    conversation.addMessage('assistant', [text('reading'), toolUse]);
    conversation.addMessage('user', [toolResult]);

    expect(conversation.history.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(conversation.history[1]?.createdAt).toEqual(new Date(T0.getTime() + 10));
    const events = conversation.pullEvents();
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['conversation.message_added', { messageId: 'evt-2', role: 'user', contentTypes: ['text'] }],
      ['conversation.message_added', { messageId: 'evt-3', role: 'assistant', contentTypes: ['text', 'tool_use'] }],
      ['conversation.message_added', { messageId: 'evt-4', role: 'user', contentTypes: ['tool_result'] }],
    ]);
  });

  it('addMessage - first message from the assistant - throws conversation.invalid_message', () => {
    const { conversation } = started();
    conversation.pullEvents();

    const error = thrown(() => conversation.addMessage('assistant', [text('hi')]));

    expect(error.code).toBe('conversation.invalid_message');
    expect(error.message).toMatch(/starts with a user message/);
    expect(conversation.history).toEqual([]);
    expect(conversation.pullEvents()).toEqual([]);
  });

  it.each(['user', 'assistant'] as const)('addMessage - two %s messages in a row - throws and keeps one', (role) => {
    const { conversation } = started();
    if (role === 'assistant') conversation.addMessage('user', [text('q')]);
    conversation.addMessage(role, [text('a')]);
    conversation.pullEvents();
    const length = conversation.history.length;

    const error = thrown(() => conversation.addMessage(role, [text('b')]));

    expect(error.code).toBe('conversation.invalid_message');
    expect(error.message).toMatch(/alternate/);
    expect(conversation.history).toHaveLength(length);
    expect(conversation.pullEvents()).toEqual([]);
  });

  it('addMessage - tool_use from the user - throws conversation.invalid_message', () => {
    const { conversation } = started();
    const error = thrown(() => conversation.addMessage('user', [text('x'), toolUse]));
    expect(error.code).toBe('conversation.invalid_message');
    expect(error.message).toMatch(/only the assistant/);
    expect(conversation.history).toEqual([]);
  });

  it('addMessage - tool_result from the assistant - throws conversation.invalid_message', () => {
    const { conversation } = started();
    conversation.addMessage('user', [text('q')]);
    expect(thrown(() => conversation.addMessage('assistant', [toolResult])).code).toBe('conversation.invalid_message');
    expect(conversation.history).toHaveLength(1);
  });

  it('addMessage - no content blocks - throws conversation.invalid_message', () => {
    const { conversation } = started();
    expect(thrown(() => conversation.addMessage('user', [])).code).toBe('conversation.invalid_message');
  });

  it('addMessage - after close - throws conversation.invalid_message', () => {
    const { conversation } = started();
    conversation.addMessage('user', [text('q')]);
    conversation.close();
    conversation.pullEvents();

    const error = thrown(() => conversation.addMessage('assistant', [text('a')]));

    expect(error.code).toBe('conversation.invalid_message');
    expect(error.message).toMatch(/closed/);
    expect(conversation.pullEvents()).toEqual([]);
  });

  it('close - twice - records conversation.closed once with the message count', () => {
    const { conversation } = started();
    conversation.addMessage('user', [text('q')]);
    conversation.addMessage('assistant', [text('a')]);
    conversation.pullEvents();

    conversation.close();
    conversation.close();

    expect(conversation.pullEvents().map((e) => [e.type, e.data])).toEqual([['conversation.closed', { messages: 2 }]]);
  });

  it('message content - caller mutates the array afterwards - the stored message is unchanged and frozen', () => {
    const { conversation } = started();
    const content: MessageContent[] = [text('q')];

    const message = conversation.addMessage('user', content);
    content.push(text('injected'));

    expect(message.content).toEqual([text('q')]);
    expect(Object.isFrozen(message.content)).toBe(true);
  });

  it('Message.toJSON - serialises the creation time as ISO', () => {
    const message = Message.create('m-1', 'user', [text('q')], T0);
    expect(message.toJSON()).toEqual({ id: 'm-1', role: 'user', content: [text('q')], createdAt: T0.toISOString() });
  });
});

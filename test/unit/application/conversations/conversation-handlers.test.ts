import { ToolFailure } from '../../../../src/application/application.errors.js';
import { CloseConversationCommand } from '../../../../src/application/conversations/close-conversation.command.js';
import { ANONYMOUS, localPrincipal } from '../../../../src/domain/auth/principal.js';
import { GetConversationQuery } from '../../../../src/application/conversations/get-conversation.query.js';
import { ListConversationsQuery } from '../../../../src/application/conversations/list-conversations.query.js';
import { LlmBackends } from '../../../../src/application/conversations/llm-backends.js';
import { ClientAnswerPending } from '../../../../src/application/ports/client-requests.js';
import type { LlmResponse } from '../../../../src/application/ports/llm-client.js';
import { textOutput, toolDefinition } from '../../../support/builders.js';
import { answer, conversationHarness, LOCAL, samplingClient, ScriptedLlm } from './conversation-harness.js';

async function failureOf(promise: Promise<unknown>): Promise<ToolFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToolFailure);
  return error as ToolFailure;
}

describe('conversation use cases', () => {
  describe('owners', () => {
    it('the caller a context carries wins; without one, the session\'s principal, or anonymous for a stateless scope', async () => {
      const app = await conversationHarness();
      const alice = localPrincipal('alice');
      const bob = { id: 'key:bob', kind: 'api-key' as const, grants: LOCAL.grants };
      const aliceSession = await app.readySession('stdio', alice);

      expect(await app.owners.callerOf({ sessionId: aliceSession })).toBe(alice);
      expect(await app.owners.callerOf({ sessionId: aliceSession, caller: bob })).toBe(bob);
      expect(await app.owners.callerOf({ sessionId: await app.readySession('http') })).toBe(ANONYMOUS);
      expect(await app.owners.callerOf({ sessionId: 'request:r-1' })).toBe(ANONYMOUS);
    });

    it('originOf - the request\'s own origin when the context has one; else the session, or a stateless request of the caller', async () => {
      const app = await conversationHarness();
      const bob = { id: 'key:bob', kind: 'api-key' as const, grants: LOCAL.grants };
      const own = { principal: 'key:bob', caller: bob, requestId: 'r-9', protocolVersion: '2026-07-28', trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } };

      expect(app.owners.originOf({ sessionId: 'request:r-9', origin: own }, bob)).toBe(own);
      expect(app.owners.originOf({ sessionId: 'request:r-1' }, bob)).toEqual({ principal: 'key:bob', caller: bob, requestId: 'r-1', protocolVersion: '2026-07-28' });
      expect(app.owners.originOf({ sessionId: 'session-1' }, bob)).toBe('session-1');
    });
  });

  describe('continuing by id', () => {
    it('a second connection of the same owner continues the conversation with its whole history', async () => {
      const llm = new ScriptedLlm([answer('Paris'), answer('About 2 million')]);
      const app = await conversationHarness({ llm });

      const first = await app.send('Capital of France?', { sessionId: await app.readySession() });
      const second = await app.send('Population?', { conversationId: first.conversationId, sessionId: await app.readySession() });

      expect(second.conversationId).toBe(first.conversationId);
      expect(llm.requests[1].messages.map((m) => m.content[0])).toEqual([
        { type: 'text', text: 'Capital of France?' },
        { type: 'text', text: 'Paris' },
        { type: 'text', text: 'Population?' },
      ]);
      expect(llm.requests[1].model).toBe('claude-default');
    });

    it.each([
      ['another owner\'s conversation', ANONYMOUS],
      ['an unknown id', undefined],
    ])('%s is not found, and nothing is sent to the model', async (_case, otherOwner) => {
      const llm = new ScriptedLlm([answer('mine')]);
      const app = await conversationHarness({ llm });
      const mine = await app.send('secret plans');
      const id = otherOwner === undefined ? 'no-such-conversation' : mine.conversationId;

      const failure = await failureOf(app.send('show me', { conversationId: id, ...(otherOwner ? { caller: otherOwner } : {}) }));

      expect(failure.envelope).toMatchObject({ error: 'conversation not found', retryable: false, follow_up_tools: ['list_conversations'] });
      expect(llm.requests).toHaveLength(1);
      expect((await app.queries.execute(new GetConversationQuery('anonymous', mine.conversationId))).conversation).toBeUndefined();
    });

    it('a different system prompt for a continued conversation is refused; the same one is accepted', async () => {
      const app = await conversationHarness({ llm: new ScriptedLlm([answer('a'), answer('b')]) });
      const first = await app.send('hi', { system: 'Be brief' });

      await expect(app.send('again', { conversationId: first.conversationId, system: 'Be verbose' })).rejects.toMatchObject({ envelope: { error: 'system prompt is fixed' } });
      await expect(app.send('again', { conversationId: first.conversationId, system: 'Be brief' })).resolves.toMatchObject({ text: 'b' });
    });

    it('a second turn on a conversation already answering is refused as busy (retryable)', async () => {
      let release: (value: LlmResponse) => void = () => {};
      const llm = new ScriptedLlm([answer('first'), () => new Promise<LlmResponse>((resolve) => (release = resolve))]);
      const app = await conversationHarness({ llm });
      const { conversationId } = await app.send('one');

      const slow = app.send('two', { conversationId });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const failure = await failureOf(app.send('three', { conversationId }));
      release(answer('second'));

      expect(failure.envelope).toMatchObject({ error: 'conversation busy', retryable: true });
      await expect(slow).resolves.toMatchObject({ text: 'second' });
    });
  });

  describe('list, get and close', () => {
    it('lists only the owner\'s conversations, newest first, a page at a time', async () => {
      const app = await conversationHarness({ llm: new ScriptedLlm([answer('1'), answer('2'), answer('3'), answer('x')]) });
      const ids: string[] = [];
      for (const text of ['first topic', 'second topic', 'third topic']) {
        app.clock.advance(1000);
        ids.push((await app.send(text)).conversationId);
      }
      await app.send('not mine', { sessionId: await app.readySession('http') });

      const page1 = await app.queries.execute(new ListConversationsQuery(LOCAL.id, 2));
      const page2 = await app.queries.execute(new ListConversationsQuery(LOCAL.id, 2, page1.nextCursor));

      expect(page1.conversations.map((c) => c.title)).toEqual(['third topic', 'second topic']);
      expect(page2.conversations.map((c) => c.id)).toEqual([ids[0]]);
      expect(page2.nextCursor).toBeUndefined();
      expect(page1.conversations[0]).toMatchObject({ model: 'claude-default', status: 'completed', messages: 2, usage: { input_tokens: 10, output_tokens: 5 } });
    });

    it('the transcript as a read model: every block, snake_case like the API', async () => {
      const app = await conversationHarness({ llm: new ScriptedLlm([answer('Hello')]) });
      const { conversationId } = await app.send('Hi', { system: 'Be kind' });

      const { conversation } = await app.queries.execute(new GetConversationQuery(LOCAL.id, conversationId));

      expect(conversation).toMatchObject({
        id: conversationId,
        system: 'Be kind',
        status: 'completed',
        usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 2, cache_creation_input_tokens: 1 },
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] },
        ],
      });
    });

    it('close: idempotent, owner-scoped, and a closed conversation takes no more messages', async () => {
      const llm = new ScriptedLlm([answer('Hello')]);
      const app = await conversationHarness({ llm });
      const { conversationId } = await app.send('Hi');

      await expect(app.commands.execute(new CloseConversationCommand('anonymous', conversationId))).rejects.toMatchObject({ envelope: { error: 'conversation not found' } });
      await expect(app.commands.execute(new CloseConversationCommand(LOCAL.id, conversationId))).resolves.toMatchObject({ id: conversationId, status: 'closed' });
      await expect(app.commands.execute(new CloseConversationCommand(LOCAL.id, conversationId))).resolves.toMatchObject({ status: 'closed' });
      const failure = await failureOf(app.send('more', { conversationId }));

      expect(failure.envelope).toMatchObject({ error: 'conversation closed', retryable: false });
      expect(llm.requests).toHaveLength(1);
      expect((await app.takeEvents()).filter((e) => e.type === 'conversation.closed')).toHaveLength(1);
    });
  });

  describe('the sampling backend', () => {
    it('asks the client\'s model through sampling/createMessage: history as text, the system prompt, no key needed', async () => {
      const client = samplingClient(async () => ({ role: 'assistant', model: 'client-model', content: { type: 'text', text: 'From your model' }, stopReason: 'endTurn' }));
      const app = await conversationHarness({ settings: { backend: 'sampling' } });

      const result = await app.send('Hi', { system: 'Be brief', context: { client } });

      expect(result).toMatchObject({ text: 'From your model', stopReason: 'end_turn', model: 'client-model', usage: { inputTokens: 0, outputTokens: 0 } });
      expect(client.asked[0]).toMatchObject({
        messages: [{ role: 'user', content: { type: 'text', text: 'Hi' } }],
        maxTokens: 1024,
        modelPreferences: { hints: [{ name: 'claude-default' }] },
        systemPrompt: expect.stringMatching(/Be brief$/),
      });
      expect(client.asked[0]['tools']).toBeUndefined();
    });

    it('a client without sampling gets llm.sampling_unsupported, naming claude.backend', async () => {
      const app = await conversationHarness({ settings: { backend: 'sampling' } });

      const failure = await failureOf(app.send('Hi'));

      expect(failure.envelope).toMatchObject({ error: 'sampling not available', retryable: false, context: { code: 'llm.sampling_unsupported' } });
      expect(failure.envelope.reason).toMatch(/claude\.backend is sampling/);
    });

    it('tools are refused with the sampling backend (sampling with tools is deprecated)', async () => {
      const client = samplingClient(async () => ({ role: 'assistant', model: 'm', content: { type: 'text', text: 'x' } }));
      const app = await conversationHarness({ settings: { backend: 'sampling' }, tools: [toolDefinition('probe', async () => textOutput('p'))] });

      const failure = await failureOf(app.send('Hi', { tools: ['probe'], context: { client } }));

      expect(failure.envelope.error).toBe('tools unavailable with sampling');
      expect(client.asked).toHaveLength(0);
    });

    it('a client that answers in a later round (2026-07-28): the interrupt passes through and nothing is saved', async () => {
      const client = samplingClient(async () => {
        throw new ClientAnswerPending();
      });
      const app = await conversationHarness({ settings: { backend: 'sampling' } });

      await expect(app.send('Hi', { context: { client } })).rejects.toBeInstanceOf(ClientAnswerPending);

      expect((await app.queries.execute(new ListConversationsQuery(LOCAL.id, 10))).conversations).toHaveLength(0);
      expect((await app.takeEvents()).filter((e) => e.type.startsWith('conversation.'))).toHaveLength(0);
    });

    it('backends: api without a client configured is not_configured', async () => {
      await expect(new LlmBackends('api', undefined).for(undefined).complete({ model: 'm', messages: [], maxTokens: 1 })).rejects.toMatchObject({ code: 'llm.not_configured' });
    });
  });
});

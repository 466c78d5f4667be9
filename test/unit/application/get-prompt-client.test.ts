import { ClientAnswerPending, ClientCapabilityMissing, type ClientRequests } from '../../../src/application/ports/client-requests.js';
import { GetPromptQuery } from '../../../src/application/prompts/get-prompt.query.js';
import type { PromptContext, PromptDefinition } from '../../../src/application/prompts/prompt-catalog.js';
import { CODE_PROMPTS } from '../../../src/application/prompts/code.prompts.js';
import { createTestApp } from '../../support/test-app.js';

type ElicitAnswer = Awaited<ReturnType<ClientRequests['elicit']>>;

/** A client whose elicit answers from `answer` (or throws what it throws), recording each ask. */
function clientAnswering(answer: () => ElicitAnswer) {
  const asked: { params: Readonly<Record<string, unknown>>; key?: string }[] = [];
  const client: ClientRequests = {
    supports: { sampling: false, elicitation: true, roots: false },
    createMessage: () => Promise.reject(new Error('not asked in these tests')),
    elicit: async (params, options) => {
      asked.push({ params, ...(options?.key !== undefined ? { key: options.key } : {}) });
      return answer();
    },
    listRoots: () => Promise.reject(new Error('not asked in these tests')),
  };
  return { client, asked };
}

/** Asks the client for a topic, then builds its message from the answer; records the contexts it got. */
function askingPrompt() {
  const contexts: PromptContext[] = [];
  const definition: PromptDefinition = {
    prompt: { name: 'ask_topic', description: 'asks the client for a topic', arguments: [{ name: 'tone', required: false }] },
    render: async (args, context) => {
      contexts.push(context);
      if (!context.client) return { messages: [{ role: 'user', content: { type: 'text', text: 'no client' } }] };
      const answer = await context.client.elicit({ message: 'Topic?' }, { key: 'topic' });
      return { messages: [{ role: 'user', content: { type: 'text', text: `${args['tone'] ?? 'plain'}: ${String(answer.content?.['topic'])}` } }] };
    },
  };
  return { definition, contexts };
}

async function ready(prompts: readonly PromptDefinition[]) {
  const app = createTestApp({ prompts: [...CODE_PROMPTS, ...prompts] });
  return { app, sessionId: await app.readySession() };
}

describe('GetPromptQuery with the requesting client', () => {
  it('GetPrompt - query carries a client - render gets that client, and its answer shapes the result', async () => {
    const { definition, contexts } = askingPrompt();
    const { app, sessionId } = await ready([definition]);
    const { client, asked } = clientAnswering(() => ({ action: 'accept', content: { topic: 'tides' } }));

    const result = await app.queries.execute(new GetPromptQuery(sessionId, 'ask_topic', { tone: 'calm' }, client));

    expect(contexts).toHaveLength(1);
    expect(contexts[0]?.client).toBe(client);
    expect(asked).toEqual([{ params: { message: 'Topic?' }, key: 'topic' }]);
    expect(result).toEqual({ messages: [{ role: 'user', content: { type: 'text', text: 'calm: tides' } }] });
  });

  it('GetPrompt - query without a client - render gets a context without one', async () => {
    const { definition, contexts } = askingPrompt();
    const { app, sessionId } = await ready([definition]);

    const result = await app.queries.execute(new GetPromptQuery(sessionId, 'ask_topic', {}));

    expect(contexts).toEqual([{ client: undefined }]);
    expect(result.messages[0]?.content).toEqual({ type: 'text', text: 'no client' });
  });

  it.each([
    ['ClientAnswerPending', () => new ClientAnswerPending()],
    ['ClientCapabilityMissing', () => new ClientCapabilityMissing('elicitation')],
  ])('GetPrompt - the client throws %s - the query rejects with that very error, not wrapped', async (_, make) => {
    const { definition } = askingPrompt();
    const { app, sessionId } = await ready([definition]);
    const interrupt = make();
    const { client } = clientAnswering(() => {
      throw interrupt;
    });

    await expect(app.queries.execute(new GetPromptQuery(sessionId, 'ask_topic', {}, client))).rejects.toBe(interrupt);
  });

  it('GetPrompt - a code prompt with a client given - renders as before and never asks it', async () => {
    const { app, sessionId } = await ready([]);
    const { client, asked } = clientAnswering(() => ({ action: 'accept', content: {} }));

    const result = await app.queries.execute(new GetPromptQuery(sessionId, 'code_review', { code: 'let x = 1' }, client));

    expect(result.description).toBe('Code review');
    expect(asked).toEqual([]);
  });

  it('GetPrompt - argument checks fail - render is not called, so the client is not asked', async () => {
    const { definition, contexts } = askingPrompt();
    const { app, sessionId } = await ready([definition]);
    const { client, asked } = clientAnswering(() => ({ action: 'accept', content: { topic: 'x' } }));

    await expect(app.queries.execute(new GetPromptQuery(sessionId, 'ask_topic', { colour: 'red' }, client))).rejects.toMatchObject({ code: 'params.invalid' });

    expect(contexts).toEqual([]);
    expect(asked).toEqual([]);
  });
});

import { ClientAnswerPending, ClientCapabilityMissing, type ClientRequests } from '../../../src/application/ports/client-requests.js';
import { CONFORMANCE_PROMPTS } from '../../../src/conformance/conformance.prompts.js';

type ElicitAnswer = Awaited<ReturnType<ClientRequests['elicit']>>;

const prompt = CONFORMANCE_PROMPTS.find((definition) => definition.prompt.name === 'test_input_required_result_prompt')!;

/** What input-required-result-non-tool-request (0.2.0-alpha.12) expects in round 1, under the key `user_context`. */
const EXPECTED_ASK = {
  message: 'What context should the prompt use?',
  requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
};

function client(answer: () => ElicitAnswer, elicitation = true) {
  const asked: { params: unknown; key?: string }[] = [];
  const port: ClientRequests = {
    supports: { sampling: false, elicitation, roots: false },
    createMessage: () => Promise.reject(new Error('the prompt must not sample')),
    elicit: async (params, options) => {
      asked.push({ params, key: options?.key });
      return answer();
    },
    listRoots: () => Promise.reject(new Error('the prompt must not ask for roots')),
  };
  return { port, asked };
}

describe('conformance fixture prompt test_input_required_result_prompt', () => {
  it('is a fixture prompt without arguments, with a description', () => {
    expect(prompt.prompt).toMatchObject({ name: 'test_input_required_result_prompt', arguments: [], description: expect.stringMatching(/\S/) });
  });

  it('accepted answer - asks exactly the scenario form under user_context, and returns a GetPromptResult carrying the answer', async () => {
    const { port, asked } = client(() => ({ action: 'accept', content: { context: 'test context' } }));

    const result = await prompt.render({}, { client: port });

    expect(asked).toEqual([{ params: EXPECTED_ASK, key: 'user_context' }]);
    expect(result.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Use this context: test context' } }]);
  });

  it.each(['decline', 'cancel'] as const)('%s - still a GetPromptResult, saying no context was given', async (action) => {
    const { port } = client(() => ({ action }));

    const result = await prompt.render({}, { client: port });

    expect(result.messages).toEqual([{ role: 'user', content: { type: 'text', text: `No context was given (${action}).` } }]);
  });

  it('the client answers later (ClientAnswerPending) - that error leaves render untouched', async () => {
    const pending = new ClientAnswerPending();
    const { port } = client(() => {
      throw pending;
    });

    await expect(prompt.render({}, { client: port })).rejects.toBe(pending);
  });

  it('a client that did not declare elicitation - ClientCapabilityMissing(elicitation), nothing asked', async () => {
    const { port, asked } = client(() => ({ action: 'accept' }), false);

    await expect(prompt.render({}, { client: port })).rejects.toEqual(new ClientCapabilityMissing('elicitation'));
    expect(asked).toEqual([]);
  });

  it('no client at all - ClientCapabilityMissing(elicitation)', async () => {
    const attempt = Promise.resolve(prompt.render({}, {}));

    await expect(attempt).rejects.toBeInstanceOf(ClientCapabilityMissing);
    await expect(attempt).rejects.toMatchObject({ capability: 'elicitation' });
  });
});

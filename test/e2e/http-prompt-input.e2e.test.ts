import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectHttpClient, post } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';

const PROMPT = 'test_input_required_result_prompt';
const ELICITING = { elicitation: {} };

/** The round-1 ask input-required-result-non-tool-request (conformance 0.2.0-alpha.12) expects. */
const ASK = {
  method: 'elicitation/create',
  params: {
    message: 'What context should the prompt use?',
    requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
  },
};

interface Answer {
  readonly status: number;
  readonly result?: Record<string, unknown>;
  readonly error?: { code: number; message: string; data?: Record<string, unknown> };
}

/** One stateless 2026-07-28 prompts/get: the envelope in `_meta`, the routing headers set. */
async function getPrompt(server: HttpServer, params: Record<string, unknown>, capabilities: Record<string, unknown> = ELICITING): Promise<Answer> {
  const name = String(params['name']);
  const response = await post(
    server.url,
    {
      jsonrpc: '2.0',
      id: 'p1',
      method: 'prompts/get',
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'prompt-input-e2e', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': capabilities,
        },
      },
    },
    { protocolVersion: '2026-07-28', headers: { 'Mcp-Method': 'prompts/get', 'Mcp-Name': name } },
  );
  const message = response.messages.find((m) => m.id === 'p1');
  if (!message) throw new Error(`no answer to prompts/get: ${response.status} ${response.text.slice(0, 500)}`);
  return { status: response.status, ...(message as { result?: Record<string, unknown>; error?: Answer['error'] }) };
}

describe('prompts/get asks the client (built server, fixture profile)', () => {
  let server: HttpServer;
  let plain: HttpServer;

  beforeAll(async () => {
    [server, plain] = await Promise.all([
      startHttpServer({ TELEMETRYFLOW_MCP_MCP__FIXTURES__CONFORMANCE: 'true', TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'warn' }),
      startHttpServer({ TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'warn' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), plain?.stop()]);
  });

  it('2026-07-28: round 1 answers input_required with the elicitation ask; round 2 (inputResponses + requestState) answers the prompt', async () => {
    const first = await getPrompt(server, { name: PROMPT });
    expect(first.status).toBe(200);
    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({ resultType: 'input_required', inputRequests: { user_context: ASK }, requestState: expect.any(String) });
    expect(Object.keys(first.result?.['inputRequests'] as object)).toEqual(['user_context']);
    // Not cacheable while it waits for the user.
    expect(first.result).not.toHaveProperty('ttlMs');

    const second = await getPrompt(server, {
      name: PROMPT,
      inputResponses: { user_context: { action: 'accept', content: { context: 'test context' } } },
      requestState: first.result?.['requestState'],
    });
    expect(second.status).toBe(200);
    expect(second.error).toBeUndefined();
    expect(second.result).toMatchObject({
      resultType: 'complete',
      messages: [{ role: 'user', content: { type: 'text', text: 'Use this context: test context' } }],
    });
    expect(second.result).not.toHaveProperty('inputRequests');
  });

  it('2026-07-28: an answer under a key nothing was asked under - the same ask again, not an error', async () => {
    const wrongKey = await getPrompt(server, { name: PROMPT, inputResponses: { wrong_key: { action: 'accept', content: { context: 'x' } } } });

    expect(wrongKey.result).toMatchObject({ resultType: 'input_required', inputRequests: { user_context: ASK } });
  });

  it('2026-07-28: a declined ask still completes the prompt', async () => {
    const declined = await getPrompt(server, { name: PROMPT, inputResponses: { user_context: { action: 'decline' } } });

    expect(declined.result).toMatchObject({ resultType: 'complete', messages: [{ content: { text: 'No context was given (decline).' } }] });
  });

  it('2026-07-28: a request that did not declare elicitation - 400 and -32021 naming it, no ask', async () => {
    const undeclared = await getPrompt(server, { name: PROMPT }, {});

    expect(undeclared.status).toBe(400);
    expect(undeclared.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { elicitation: {} } } });
  });

  it("2026-07-28: the prompt's requestState is bound to it - replayed on another prompt it is refused", async () => {
    const first = await getPrompt(server, { name: PROMPT });

    const replayed = await getPrompt(server, { name: 'test_simple_prompt', requestState: first.result?.['requestState'] });

    expect(replayed.error).toMatchObject({ code: -32602, data: { reason: 'request_state.invalid' } });
  });

  it('2025-11-25 session (SDK 1.x client): prompts/get sends elicitation/create to the client and renders with its answer', async () => {
    const handle = await connectHttpClient(server.url, { capabilities: ELICITING });
    try {
      const asked: unknown[] = [];
      handle.client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params);
        return { action: 'accept', content: { context: 'from the session' } };
      });

      const result = await handle.client.getPrompt({ name: PROMPT });

      expect(asked).toEqual([ASK.params]);
      expect(result.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Use this context: from the session' } }]);
      expect(handle.clientErrors).toEqual([]);
    } finally {
      await handle.close();
    }
  });

  it('2025-11-25 session whose client did not declare elicitation: -32021 before anything is sent to the client', async () => {
    const handle = await connectHttpClient(server.url);
    try {
      await expect(handle.client.getPrompt({ name: PROMPT })).rejects.toMatchObject({ code: -32021 });
    } finally {
      await handle.close();
    }
  });

  it('default profile: the fixture prompt is not offered', async () => {
    const handle = await connectHttpClient(plain.url);
    try {
      const { prompts } = await handle.client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(['code_review', 'explain_code', 'debug_help']);
      await expect(handle.client.getPrompt({ name: PROMPT })).rejects.toMatchObject({ code: -32602 });
    } finally {
      await handle.close();
    }
  });
});

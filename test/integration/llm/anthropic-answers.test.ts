import { afterEach, describe, expect, it } from '@jest/globals';
import type { LlmRequest } from '../../../src/application/ports/llm-client.js';
import { AnthropicLlmClient, type AnthropicLlmClientOptions } from '../../../src/infrastructure/llm/anthropic-llm-client.js';
import { FAKE_API_KEY, reply, startFakeAnthropic, type FakeAnthropic, type FakeScript } from '../../support/fake-anthropic.js';
import { RecordingLogger } from '../../support/builders.js';

// The real @anthropic-ai/sdk client, through the adapter, against the fake Messages API on loopback.
let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function clientFor(script: FakeScript, options: Partial<AnthropicLlmClientOptions> = {}) {
  fake = await startFakeAnthropic(script, { apiKey: FAKE_API_KEY });
  const logs = new RecordingLogger();
  const client = new AnthropicLlmClient({ apiKey: FAKE_API_KEY, baseUrl: fake.url, timeoutMs: 5_000, maxRetries: 0, promptCaching: true, ...options }, logs);
  return { client, fake, logs };
}

const ask = (text: string, extra: Partial<LlmRequest> = {}): LlmRequest => ({
  model: 'claude-sonnet-5-5',
  maxTokens: 1024,
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  ...extra,
});

describe('AnthropicLlmClient answers (real SDK, fake API)', () => {
  it('text answer - streamed request carries model, system, history and the key; the answer, usage and model come back', async () => {
    const { client, fake } = await clientFor([
      reply.text('Hello from the fake.', { usage: { input_tokens: 40, output_tokens: 9, cache_read_input_tokens: 30, cache_creation_input_tokens: 5 }, model: 'claude-sonnet-5-5-20261201' }),
    ]);

    const response = await client.complete(ask('Hi', { system: 'Be brief.' }));

    expect(response).toEqual({
      content: [{ type: 'text', text: 'Hello from the fake.' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 40, outputTokens: 9, cacheReadInputTokens: 30, cacheCreationInputTokens: 5 },
      model: 'claude-sonnet-5-5-20261201',
    });
    const [body] = fake.messages();
    expect(body).toEqual({
      model: 'claude-sonnet-5-5',
      max_tokens: 1024,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      stream: true,
      cache_control: { type: 'ephemeral' },
    });
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${FAKE_API_KEY}`);
  });

  it('prompt caching off - no cache marker; no system and no tools - neither key is sent', async () => {
    const { client, fake } = await clientFor([reply.text('ok')], { promptCaching: false });

    await client.complete(ask('Hi'));

    expect(Object.keys(fake.messages()[0]).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream']);
  });

  it('tool_use turn - input JSON streamed in pieces is parsed whole; tools go out as Anthropic tool definitions', async () => {
    const input = { path: 'src/main.ts', options: { lines: [1, 20], note: 'quote " and \\ survive' } };
    const { client, fake } = await clientFor([reply.toolUse('read_file', input, { text: 'Let me look.', id: 'toolu_01', chunkSize: 3 })]);

    const response = await client.complete(
      ask('Read it', { tools: [{ name: 'read_file', description: 'Read a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }] }),
    );

    expect(response.stopReason).toBe('tool_use');
    expect(response.content).toEqual([
      { type: 'text', text: 'Let me look.' },
      { type: 'tool_use', id: 'toolu_01', name: 'read_file', input },
    ]);
    expect(fake.messages()[0].tools).toEqual([
      { name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
    ]);
  });

  it('tool_result history - tool_use and tool_result blocks map to the API shape, errors flagged', async () => {
    const { client, fake } = await clientFor([reply.text('Done.')]);

    await client.complete({
      model: 'claude-sonnet-5-5',
      maxTokens: 100,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Read two files' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_a', name: 'read_file', input: { path: 'a' } },
            { type: 'tool_use', id: 'toolu_b', name: 'read_file', input: { path: 'b' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolUseId: 'toolu_a', content: 'contents of a', isError: false },
            { type: 'tool_result', toolUseId: 'toolu_b', content: 'file not found', isError: true },
          ],
        },
      ],
    });

    expect(fake.messages()[0].messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Read two files' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_a', name: 'read_file', input: { path: 'a' } },
          { type: 'tool_use', id: 'toolu_b', name: 'read_file', input: { path: 'b' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: 'contents of a', is_error: false },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: 'file not found', is_error: true },
        ],
      },
    ]);
  });

  it('streaming - text deltas reach onText one by one while the stream is still open', async () => {
    const { client } = await clientFor([reply.text('one two three four', { chunkSize: 4, delayMs: 40 })]);
    const seen: { delta: string; at: number }[] = [];

    const started = Date.now();
    const response = await client.complete(ask('Count', { onText: (delta) => seen.push({ delta, at: Date.now() - started }) }));
    const finished = Date.now() - started;

    expect(seen.map((s) => s.delta)).toEqual(['one ', 'two ', 'thre', 'e fo', 'ur']);
    expect(seen.map((s) => s.delta).join('')).toBe((response.content[0] as { text: string }).text);
    // Incremental: the first delta arrived well before the answer was complete (8+ events at 40 ms each after it).
    expect(finished - seen[0].at).toBeGreaterThanOrEqual(150);
    expect(seen[4].at - seen[0].at).toBeGreaterThanOrEqual(120);
  });

  it('a throwing onText - the answer is still collected whole', async () => {
    const { client } = await clientFor([reply.text('still here')]);

    const response = await client.complete(ask('x', { onText: () => { throw new Error('progress sink broke'); } }));

    expect(response.content).toEqual([{ type: 'text', text: 'still here' }]);
  });

  it.each([
    ['refusal', 'refusal'],
    ['max_tokens', 'max_tokens'],
    ['stop_sequence', 'stop_sequence'],
    ['pause_turn', 'pause_turn'],
    ['model_context_window_exceeded', 'max_tokens'],
    ['some_future_reason', 'other'],
  ])('stop reason %s - reported as %s', async (apiReason, portReason) => {
    const { client } = await clientFor([reply.text('partial', { stopReason: apiReason })]);

    const response = await client.complete(ask('x'));

    expect(response.stopReason).toBe(portReason);
    expect(response.content).toEqual([{ type: 'text', text: 'partial' }]);
  });

  it('max_tokens inside a tool call - the cut-off tool_use is dropped, the text before it kept', async () => {
    const { client } = await clientFor([
      reply.answer([{ type: 'text', text: 'Reading' }, { type: 'tool_use', name: 'read_file', input: {}, rawInput: '{"path": "src/ma' }], { stopReason: 'max_tokens' }),
    ]);

    const response = await client.complete(ask('x'));

    expect(response.stopReason).toBe('max_tokens');
    expect(response.content).toEqual([{ type: 'text', text: 'Reading' }]);
  });

  it('a tool input that is not JSON at tool_use - llm.unavailable, retryable (the API broke the stream)', async () => {
    const { client } = await clientFor([reply.answer([{ type: 'tool_use', name: 'read_file', input: {}, rawInput: '{"path": ' }])]);

    await expect(client.complete(ask('x'))).rejects.toMatchObject({ code: 'llm.unavailable', retryable: true });
  });

  it('empty text blocks - left out (the API refuses them when the history goes back)', async () => {
    const { client } = await clientFor([reply.answer([{ type: 'text', text: '' }, { type: 'tool_use', name: 'system_info', input: {}, id: 'toolu_9' }])]);

    const response = await client.complete(ask('x'));

    expect(response.content).toEqual([{ type: 'tool_use', id: 'toolu_9', name: 'system_info', input: {} }]);
  });
});

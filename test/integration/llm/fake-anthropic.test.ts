import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from '@jest/globals';
import { FAKE_API_KEY, reply, startFakeAnthropic, type FakeAnthropic, type FakeScript } from '../../support/fake-anthropic.js';

// The fake itself, read by the SDK's own parsers: its JSON and SSE framings must be what the SDK expects,
// since other suites (and the e2e tests) rely on it standing in for the API.
let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function sdkFor(script: FakeScript) {
  fake = await startFakeAnthropic(script);
  return new Anthropic({ apiKey: FAKE_API_KEY, baseURL: fake.url, maxRetries: 0, logLevel: 'off', openTelemetry: false });
}

const params = { model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

describe('fake Anthropic API', () => {
  it('JSON and SSE - the SDK reads the same message from both (messages.create and the messages.stream helper)', async () => {
    const answer = reply.toolUse('read_file', { path: 'a.txt' }, { text: 'Looking.', id: 'toolu_1', usage: { input_tokens: 7, output_tokens: 3 } });
    const sdk = await sdkFor([answer, answer]);

    const json = await sdk.messages.create(params);
    const streamed = await sdk.messages.stream(params).finalMessage();

    expect(json).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-5-5',
      content: [{ type: 'text', text: 'Looking.' }, { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'a.txt' } }],
      stop_reason: 'tool_use',
      usage: { input_tokens: 7, output_tokens: 3 },
    });
    expect(streamed.content).toEqual(json.content);
    expect(streamed.stop_reason).toBe(json.stop_reason);
    expect(streamed.usage).toMatchObject({ input_tokens: 7, output_tokens: 3 });
  });

  it('SSE framing - event names match the data types, one ping, message_stop last', async () => {
    fake = await startFakeAnthropic([reply.text('abcdefgh', { chunkSize: 4 })]);

    const response = await fetch(`${fake.url}/v1/messages`, { method: 'POST', body: JSON.stringify({ ...params, stream: true }) });
    const text = await response.text();
    const events = text.trim().split('\n\n').map((block) => {
      const [event, data] = block.split('\n');
      return { event: event.replace('event: ', ''), data: JSON.parse(data.replace('data: ', '')) as { type: string } };
    });

    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('request-id')).toBe('req_fake_1');
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    expect(events.map((e) => e.event)).toEqual([
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
  });

  it('a script function - sees each request and its index; the requests are recorded with headers and body', async () => {
    const sdk = await sdkFor((request, index) => reply.text(`#${index} ${request.body.messages[0].content}`));

    const first = await sdk.messages.create(params);
    const second = await sdk.messages.create({ ...params, messages: [{ role: 'user', content: 'again' }] });

    expect(first.content).toEqual([{ type: 'text', text: '#0 hi' }]);
    expect(second.content).toEqual([{ type: 'text', text: '#1 again' }]);
    expect(fake?.requests.map((r) => r.headers['anthropic-version'])).toEqual([expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/)]);
    expect(fake?.requests[1].body).toMatchObject({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'again' }] });
  });

  it('push - adds replies to an array script; an exhausted script answers 500 that the SDK does not retry', async () => {
    fake = await startFakeAnthropic([]);
    const sdk = new Anthropic({ apiKey: FAKE_API_KEY, baseURL: fake.url, maxRetries: 3, logLevel: 'off', openTelemetry: false });
    fake.push(reply.text('pushed'));

    await expect(sdk.messages.create(params)).resolves.toMatchObject({ content: [{ type: 'text', text: 'pushed' }] });
    await expect(sdk.messages.create(params)).rejects.toMatchObject({ status: 500, apiMessage: 'fake-anthropic: no scripted reply for messages request #2' });
    expect(fake.messages()).toHaveLength(2);
  });

  it('stop - closes a hung connection, and the request records it as closed', async () => {
    const sdk = await sdkFor([reply.hang()]);
    const call = sdk.messages.create(params).catch((e: unknown) => e);
    while (fake!.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    await fake!.stop();

    await expect(fake!.requests[0].ended).resolves.toBe('closed');
    expect(await call).toBeInstanceOf(Anthropic.APIConnectionError);
    fake = undefined;
  });
});

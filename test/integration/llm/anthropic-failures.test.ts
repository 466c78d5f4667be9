import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { LlmError, type LlmRequest } from '../../../src/application/ports/llm-client.js';
import { AnthropicLlmClient, type AnthropicLlmClientOptions } from '../../../src/infrastructure/llm/anthropic-llm-client.js';
import { FAKE_API_KEY, reply, startFakeAnthropic, type FakeAnthropic, type FakeScript } from '../../support/fake-anthropic.js';
import { RecordingLogger } from '../../support/builders.js';

// Failures of the real SDK client against the fake API: what the SDK retries, and what reaches the caller.
let fake: FakeAnthropic | undefined;
const errors: unknown[] = [];
const logs = new RecordingLogger();
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function clientFor(script: FakeScript, options: Partial<AnthropicLlmClientOptions> = {}) {
  fake = await startFakeAnthropic(script);
  const client = new AnthropicLlmClient({ apiKey: FAKE_API_KEY, baseUrl: fake.url, timeoutMs: 5_000, maxRetries: 2, promptCaching: false, ...options }, logs);
  return { client, fake };
}

const ask = (extra: Partial<LlmRequest> = {}): LlmRequest => ({
  model: 'claude-sonnet-5-5',
  maxTokens: 256,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
  ...extra,
});

/** The call's LlmError (kept for the "no key anywhere" check at the end). */
async function failure(call: Promise<unknown>): Promise<LlmError> {
  const error = await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  errors.push(error);
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

describe('AnthropicLlmClient failures (real SDK, fake API)', () => {
  it('429 then success - the SDK waits the retry-after and the second attempt answers', async () => {
    const { client, fake } = await clientFor([reply.rateLimited(0.4), reply.text('after the wait')]);

    const started = Date.now();
    const response = await client.complete(ask());

    expect(response.content).toEqual([{ type: 'text', text: 'after the wait' }]);
    expect(fake.messages()).toHaveLength(2);
    const gap = fake.requests[1].receivedAt - fake.requests[0].receivedAt;
    expect(gap).toBeGreaterThanOrEqual(380);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('429 on every attempt - llm.rate_limited, retryable, with the last retry-after', async () => {
    const { client, fake } = await clientFor([reply.rateLimited(0.02), reply.rateLimited(0.02), reply.rateLimited(1)], { maxRetries: 2 });

    const error = await failure(client.complete(ask()));

    expect(error).toMatchObject({ code: 'llm.rate_limited', retryable: true, details: { status: 429, retryAfterMs: 1000, requestId: 'req_fake_3' } });
    expect(fake.messages()).toHaveLength(3);
  });

  it('529 exhausted - llm.overloaded, retryable, after max_retries + 1 attempts', async () => {
    const { client, fake } = await clientFor([reply.overloaded(), reply.overloaded(), reply.overloaded()], { maxRetries: 2 });

    const error = await failure(client.complete(ask()));

    expect(error).toMatchObject({ code: 'llm.overloaded', retryable: true, details: { status: 529 } });
    expect(error.message).toContain('overloaded');
    expect(fake.messages()).toHaveLength(3);
  });

  it('overloaded_error as an SSE event mid-stream - llm.overloaded, retryable', async () => {
    const { client } = await clientFor([reply.text('never finished', { errorAfterEvents: { after: 3, type: 'overloaded_error', message: 'Overloaded' } })]);

    const error = await failure(client.complete(ask()));

    expect(error).toMatchObject({ code: 'llm.overloaded', retryable: true });
  });

  it('401 - llm.auth, not retryable, one attempt, names the setting', async () => {
    const { client, fake } = await clientFor([reply.unauthorized(), reply.text('unused')]);

    const error = await failure(client.complete(ask()));

    expect(error).toMatchObject({ code: 'llm.auth', retryable: false, details: { status: 401 } });
    expect(error.message).toContain('claude.api_key or ANTHROPIC_API_KEY');
    expect(fake.messages()).toHaveLength(1);
  });

  it('403 - llm.auth, not retryable', async () => {
    const { client } = await clientFor([reply.error(403, 'permission_error', 'Your API key does not have permission to use the specified resource.')]);

    expect(await failure(client.complete(ask()))).toMatchObject({ code: 'llm.auth', retryable: false, details: { status: 403 } });
  });

  it('400 prompt too long - llm.context_too_long, not retryable', async () => {
    const { client } = await clientFor([reply.error(400, 'invalid_request_error', 'prompt is too long: 215034 tokens > 200000 maximum')]);

    const error = await failure(client.complete(ask()));

    expect(error).toMatchObject({ code: 'llm.context_too_long', retryable: false, details: { status: 400 } });
    expect(error.message).toContain('215034 tokens > 200000');
  });

  it('404 unknown model - llm.invalid_request, not retryable, says which model', async () => {
    const { client, fake } = await clientFor([reply.error(404, 'not_found_error', 'model: claude-nonexistent-9')]);

    const error = await failure(client.complete(ask({ model: 'claude-nonexistent-9' })));

    expect(error).toMatchObject({ code: 'llm.invalid_request', retryable: false, details: { status: 404 } });
    expect(error.message).toContain('model: claude-nonexistent-9');
    expect(fake.messages()).toHaveLength(1);
  });

  it('other 400 - llm.invalid_request, not retryable', async () => {
    const { client } = await clientFor([reply.error(400, 'invalid_request_error', 'messages: text content blocks must be non-empty')]);

    expect(await failure(client.complete(ask()))).toMatchObject({ code: 'llm.invalid_request', retryable: false });
  });

  it('500 on every attempt - llm.unavailable, retryable', async () => {
    const { client, fake } = await clientFor([reply.error(500, 'api_error', 'Internal server error'), reply.error(500, 'api_error', 'Internal server error')], { maxRetries: 1 });

    expect(await failure(client.complete(ask()))).toMatchObject({ code: 'llm.unavailable', retryable: true, details: { status: 500 } });
    expect(fake.messages()).toHaveLength(2);
  });

  it('connection refused - llm.unavailable, retryable, names the cause', async () => {
    const port = await closedPort();
    const client = new AnthropicLlmClient({ apiKey: FAKE_API_KEY, baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2_000, maxRetries: 1, promptCaching: false }, logs);

    const error = await failure(client.complete(ask()));

    expect(error).toMatchObject({ code: 'llm.unavailable', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('hung connection (no headers) - llm.timeout within timeout_ms', async () => {
    const { client, fake } = await clientFor([reply.hang()], { timeoutMs: 1_000, maxRetries: 0 });

    const started = Date.now();
    const error = await failure(client.complete(ask()));
    const elapsed = Date.now() - started;

    expect(error).toMatchObject({ code: 'llm.timeout', retryable: true });
    expect(error.message).toContain('1000 ms (claude.timeout_ms)');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2_000);
    await expect(fake.requests[0].ended).resolves.toBe('closed');
  });

  it('hung connection with retries - the SDK retries a timed-out attempt; each attempt waits timeout_ms', async () => {
    const { client, fake } = await clientFor([reply.hang(), reply.hang()], { timeoutMs: 1_000, maxRetries: 1 });

    const started = Date.now();
    expect(await failure(client.complete(ask()))).toMatchObject({ code: 'llm.timeout', retryable: true });

    expect(fake.messages()).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('stream that stalls after it started - llm.timeout after timeout_ms of silence, the upstream request closed', async () => {
    const { client, fake } = await clientFor([reply.text('a long answer that stops', { stallAfterEvents: 4 })], { timeoutMs: 1_000, maxRetries: 2 });
    const deltas: string[] = [];

    const started = Date.now();
    const error = await failure(client.complete(ask({ onText: (delta) => deltas.push(delta) })));
    const elapsed = Date.now() - started;

    expect(error).toMatchObject({ code: 'llm.timeout', retryable: true });
    expect(error.message).toContain('stopped sending for 1000 ms');
    expect(deltas.length).toBeGreaterThan(0);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2_500);
    // Not retried: part of the answer already streamed to the caller.
    expect(fake.messages()).toHaveLength(1);
    await expect(fake.requests[0].ended).resolves.toBe('closed');
  });

  it('slow stream - pauses shorter than timeout_ms are fine', async () => {
    const { client } = await clientFor([reply.text('slow but steady', { delayMs: 150, chunkSize: 8 })], { timeoutMs: 1_000 });

    const response = await client.complete(ask());

    expect(response.content).toEqual([{ type: 'text', text: 'slow but steady' }]);
  });

  it('abort mid-stream - llm.cancelled, not retryable, and the fake sees the connection close', async () => {
    const { client, fake } = await clientFor([reply.text('x'.repeat(400), { delayMs: 30, chunkSize: 10 })]);
    const controller = new AbortController();
    let deltas = 0;

    const call = client.complete(ask({ signal: controller.signal, onText: () => ++deltas === 3 && controller.abort() }));
    const error = await failure(call);

    expect(error).toMatchObject({ code: 'llm.cancelled', retryable: false });
    await expect(fake.requests[0].ended).resolves.toBe('closed');
    expect(fake.messages()).toHaveLength(1);
  });

  it('abort while waiting for the answer to start - llm.cancelled at once, the connection closed', async () => {
    const { client, fake } = await clientFor([reply.hang()], { timeoutMs: 10_000 });
    const controller = new AbortController();

    const call = client.complete(ask({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const error = await failure(call);

    expect(error).toMatchObject({ code: 'llm.cancelled', retryable: false });
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(fake.requests[0].ended).resolves.toBe('closed');
  });

  it('abort during the retry-after wait - llm.cancelled, no second attempt', async () => {
    const { client, fake } = await clientFor([reply.rateLimited(5), reply.text('unused')]);
    const controller = new AbortController();

    const call = client.complete(ask({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 300);

    expect(await failure(call)).toMatchObject({ code: 'llm.cancelled', retryable: false });
    expect(fake.messages()).toHaveLength(1);
  });

  it('already aborted signal - llm.cancelled without a request', async () => {
    const { client, fake } = await clientFor([reply.text('unused')]);

    expect(await failure(client.complete(ask({ signal: AbortSignal.abort() })))).toMatchObject({ code: 'llm.cancelled' });
    expect(fake.requests).toHaveLength(0);
  });

  it('an API that echoes the key - scrubbed from the error', async () => {
    const { client } = await clientFor([reply.error(400, 'invalid_request_error', `bad header: Bearer ${FAKE_API_KEY}`)]);

    const error = await failure(client.complete(ask()));

    expect(error.message).toContain('bad header: Bearer [redacted]');
  });

  it('the API key never appears in any error of this suite, nor in the log', () => {
    expect(errors.length).toBeGreaterThanOrEqual(15);
    for (const error of errors) {
      const e = error as LlmError;
      const text = [e.message, e.stack, JSON.stringify(e), JSON.stringify(e.details), String((e as { cause?: unknown }).cause)].join('\n');
      expect(text).not.toContain(FAKE_API_KEY);
      expect(text).not.toContain('0123456789abcdef');
    }
    expect(logs.text()).not.toContain(FAKE_API_KEY);
  });
});

async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

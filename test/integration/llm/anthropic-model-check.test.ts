import { afterEach, describe, expect, it } from '@jest/globals';
import { AnthropicLlmClient } from '../../../src/infrastructure/llm/anthropic-llm-client.js';
import { FAKE_API_KEY, startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from '../../support/fake-anthropic.js';
import { RecordingLogger } from '../../support/builders.js';

// checkModel through the real SDK's models.retrieve against the fake: it reports, it never throws.
let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function clientFor(options: FakeAnthropicOptions, apiKey = FAKE_API_KEY) {
  fake = await startFakeAnthropic([], options);
  return new AnthropicLlmClient({ apiKey, baseUrl: fake.url, timeoutMs: 2_000, maxRetries: 0, promptCaching: false }, new RecordingLogger());
}

describe('AnthropicLlmClient.checkModel (real SDK, fake API)', () => {
  it('active model - ok, asked with GET /v1/models/{id} and the key', async () => {
    const client = await clientFor({ models: { 'claude-sonnet-5-5': { lifecycle: 'active' } } });

    await expect(client.checkModel('claude-sonnet-5-5')).resolves.toEqual({ model: 'claude-sonnet-5-5', status: 'ok' });
    expect(fake?.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models/claude-sonnet-5-5' });
    expect(fake?.requests[0].headers.authorization).toBe(`Bearer ${FAKE_API_KEY}`);
  });

  it('an alias - ok, and says what it resolves to', async () => {
    const client = await clientFor({ models: { 'claude-sonnet-5-5': { id: 'claude-sonnet-5-5-20261201' } } });

    await expect(client.checkModel('claude-sonnet-5-5')).resolves.toEqual({
      model: 'claude-sonnet-5-5',
      status: 'ok',
      detail: 'claude-sonnet-5-5 (resolves to claude-sonnet-5-5-20261201)',
    });
  });

  it('deprecated model - deprecated, with the dates and the setting to change', async () => {
    const client = await clientFor({ models: { 'claude-opus-4-5': { lifecycle: 'deprecated', deprecated_at: '2026-10-22T00:00:00Z', retires_at: '2027-01-22T00:00:00Z' } } });

    const check = await client.checkModel('claude-opus-4-5');

    expect(check).toEqual({
      model: 'claude-opus-4-5',
      status: 'deprecated',
      detail: 'claude-opus-4-5 is deprecated since 2026-10-22; retires 2027-01-22; choose a current model in claude.model',
    });
  });

  it('retired model - unknown_model: calls to it fail', async () => {
    const client = await clientFor({ models: { 'claude-sonnet-4-5': { lifecycle: 'retired', deprecated_at: '2026-06-01T00:00:00Z' } } });

    const check = await client.checkModel('claude-sonnet-4-5');

    expect(check.status).toBe('unknown_model');
    expect(check.detail).toContain('is retired since 2026-06-01');
  });

  it('unknown model - unknown_model (404)', async () => {
    const client = await clientFor({ models: { 'claude-sonnet-5-5': {} } });

    await expect(client.checkModel('claude-nonexistent-9')).resolves.toEqual({
      model: 'claude-nonexistent-9',
      status: 'unknown_model',
      detail: 'the API does not know the model claude-nonexistent-9; choose one in claude.model',
    });
  });

  it('a refused key - unchecked, naming the auth failure, the key nowhere', async () => {
    const client = await clientFor({ apiKey: 'sk-ant-the-right-one' }, FAKE_API_KEY);

    const check = await client.checkModel('claude-sonnet-5-5');

    expect(check.status).toBe('unchecked');
    expect(check.detail).toContain('llm.auth');
    expect(JSON.stringify(check)).not.toContain(FAKE_API_KEY);
  });

  it('unreachable API - unchecked, resolves (never throws)', async () => {
    fake = await startFakeAnthropic();
    const url = fake.url;
    await fake.stop();
    fake = undefined;
    const client = new AnthropicLlmClient({ apiKey: FAKE_API_KEY, baseUrl: url, timeoutMs: 2_000, maxRetries: 0, promptCaching: false }, new RecordingLogger());

    const check = await client.checkModel('claude-sonnet-5-5');

    expect(check).toMatchObject({ model: 'claude-sonnet-5-5', status: 'unchecked' });
    expect(check.detail).toContain('llm.unavailable');
  });
});

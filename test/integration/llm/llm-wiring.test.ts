import { afterEach, describe, expect, it } from '@jest/globals';
import { checkConfiguredModel, llmClientFor, NO_API_KEY } from '../../../src/composition/llm.wiring.js';
import { LlmError, type LlmClient } from '../../../src/application/ports/llm-client.js';
import { loadConfig } from '../../../src/infrastructure/config/config-loader.js';
import type { ResolvedConfig } from '../../../src/infrastructure/config/config.schema.js';
import { FAKE_API_KEY, reply, startFakeAnthropic, type FakeAnthropic } from '../../support/fake-anthropic.js';
import { RecordingLogger } from '../../support/builders.js';

// The composition factory and the start-up model check, on the real adapter against the fake API.
let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

function claudeConfig(env: Record<string, string>): ResolvedConfig['claude'] {
  return loadConfig({ env, cwd: '/nonexistent-tfo-dir', version: '0.0.0-test' }).claude;
}

const ask = { model: 'claude-sonnet-5-5', maxTokens: 64, messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }] };

describe('llmClientFor', () => {
  it('no key - a client whose every call fails with llm.not_configured naming the setting (start-up is fine)', async () => {
    const client = llmClientFor(claudeConfig({}), new RecordingLogger()) as LlmClient;

    const error = await client.complete(ask).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ code: 'llm.not_configured', retryable: false, message: NO_API_KEY });
    expect(NO_API_KEY).toBe('no API key: set claude.api_key or ANTHROPIC_API_KEY');
    await expect(client.checkModel?.('claude-sonnet-5-5')).resolves.toEqual({ model: 'claude-sonnet-5-5', status: 'unchecked', detail: NO_API_KEY });
  });

  it('a blank key - treated as no key', async () => {
    const client = llmClientFor(claudeConfig({ TELEMETRYFLOW_MCP_CLAUDE__API_KEY: '  ' }), new RecordingLogger()) as LlmClient;

    await expect(client.complete(ask)).rejects.toMatchObject({ code: 'llm.not_configured' });
  });

  it('backend sampling - no API client (the application asks the client model)', () => {
    expect(llmClientFor(claudeConfig({ ANTHROPIC_API_KEY: FAKE_API_KEY, TELEMETRYFLOW_MCP_CLAUDE__BACKEND: 'sampling' }), new RecordingLogger())).toBeUndefined();
  });

  it('ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL - the adapter loads on first call and talks to that URL with that key', async () => {
    fake = await startFakeAnthropic([reply.text('hello through the wiring')], { apiKey: FAKE_API_KEY });
    const client = llmClientFor(claudeConfig({ ANTHROPIC_API_KEY: FAKE_API_KEY, ANTHROPIC_BASE_URL: fake.url }), new RecordingLogger()) as LlmClient;

    expect(client.backend).toBe('anthropic');
    const response = await client.complete(ask);

    expect(response.content).toEqual([{ type: 'text', text: 'hello through the wiring' }]);
    expect(fake.messages()[0]).toMatchObject({ model: 'claude-sonnet-5-5', max_tokens: 64, stream: true, cache_control: { type: 'ephemeral' } });
  });

  it('claude.max_retries and claude.timeout_ms - reach the SDK (two 529s retried, then the answer)', async () => {
    fake = await startFakeAnthropic([reply.overloaded(0.01), reply.overloaded(0.01), reply.text('third time')]);
    const config = claudeConfig({ ANTHROPIC_API_KEY: FAKE_API_KEY, ANTHROPIC_BASE_URL: fake.url, TELEMETRYFLOW_MCP_CLAUDE__MAX_RETRIES: '2', TELEMETRYFLOW_MCP_CLAUDE__TIMEOUT_MS: '1000' });
    const client = llmClientFor(config, new RecordingLogger()) as LlmClient;

    await expect(client.complete(ask)).resolves.toMatchObject({ content: [{ type: 'text', text: 'third time' }] });
    expect(fake.messages()).toHaveLength(3);
    expect(fake.requests[0].headers['x-stainless-timeout']).toBe('1');
  });
});

describe('checkConfiguredModel (start-up hook)', () => {
  it('deprecated model - one warning naming the model and the setting; resolves with the check', async () => {
    fake = await startFakeAnthropic([], { models: { 'claude-opus-4-5': { lifecycle: 'deprecated', retires_at: '2027-01-22T00:00:00Z' } } });
    const logs = new RecordingLogger();
    const client = llmClientFor(claudeConfig({ ANTHROPIC_API_KEY: FAKE_API_KEY, ANTHROPIC_BASE_URL: fake.url }), logs);

    const check = await checkConfiguredModel(client, 'claude-opus-4-5', logs);

    expect(check?.status).toBe('deprecated');
    expect(logs.at('warn')).toHaveLength(1);
    expect(logs.at('warn')[0].message).toContain('claude.model: claude-opus-4-5 is deprecated; retires 2027-01-22');
    expect(logs.text()).not.toContain(FAKE_API_KEY);
  });

  it('unknown model - a warning', async () => {
    fake = await startFakeAnthropic([], { models: {} });
    const logs = new RecordingLogger();

    await checkConfiguredModel(llmClientFor(claudeConfig({ ANTHROPIC_API_KEY: FAKE_API_KEY, ANTHROPIC_BASE_URL: fake.url }), logs), 'claude-gone-1', logs);

    expect(logs.at('warn').map((l) => l.fields.status)).toEqual(['unknown_model']);
  });

  it('current model - no warning', async () => {
    fake = await startFakeAnthropic([], { models: { 'claude-sonnet-5-5': {} } });
    const logs = new RecordingLogger();

    const check = await checkConfiguredModel(llmClientFor(claudeConfig({ ANTHROPIC_API_KEY: FAKE_API_KEY, ANTHROPIC_BASE_URL: fake.url }), logs), 'claude-sonnet-5-5', logs);

    expect(check?.status).toBe('ok');
    expect(logs.at('warn')).toEqual([]);
  });

  it('unreachable API or no key - an info line, never a throw', async () => {
    const logs = new RecordingLogger();

    await expect(checkConfiguredModel(llmClientFor(claudeConfig({ ANTHROPIC_API_KEY: FAKE_API_KEY, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }), logs), 'claude-sonnet-5-5', logs)).resolves.toMatchObject({ status: 'unchecked' });
    await expect(checkConfiguredModel(llmClientFor(claudeConfig({}), logs), 'claude-sonnet-5-5', logs)).resolves.toMatchObject({ status: 'unchecked', detail: NO_API_KEY });
    expect(logs.at('info').map((l) => l.message)).toEqual(['claude.model not checked', 'claude.model not checked']);
    expect(logs.at('warn')).toEqual([]);
  });

  it('sampling backend (no client) - nothing to check', async () => {
    await expect(checkConfiguredModel(undefined, 'claude-sonnet-5-5', new RecordingLogger())).resolves.toBeUndefined();
  });

  it('an adapter that throws anyway - logged, not thrown', async () => {
    const logs = new RecordingLogger();
    const broken: LlmClient = { backend: 'x', complete: () => Promise.reject(new Error('no')), checkModel: () => Promise.reject(new Error('broken adapter')) };

    await expect(checkConfiguredModel(broken, 'm', logs)).resolves.toBeUndefined();
    expect(logs.at('warn')[0]).toMatchObject({ message: 'claude.model check failed', fields: { model: 'm', problem: 'broken adapter' } });
  });
});

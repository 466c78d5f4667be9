import { LlmError, type LlmClient, type LlmModelCheck, type LlmRequest, type LlmResponse } from '../application/ports/llm-client.js';
import type { Logger } from '../application/ports/logger.js';
import type { ResolvedConfig } from '../infrastructure/config/config.schema.js';
import type { AnthropicLlmClientOptions } from '../infrastructure/llm/anthropic-llm-client.js';

export const NO_API_KEY = 'no API key: set claude.api_key or ANTHROPIC_API_KEY';

/**
 * The LlmClient for `claude.backend: api`, or undefined for `sampling` (the application asks the
 * client's model then). Without a key the server still starts: the client answers every call with
 * `llm.not_configured` naming the setting. With one, @anthropic-ai/sdk (and the adapter) load on
 * the first call, never at start-up: a server that never talks to Claude never pays for it.
 */
export function llmClientFor(config: ResolvedConfig['claude'], logger: Logger): LlmClient | undefined {
  if (config.backend === 'sampling') return undefined;
  const apiKey = config.api_key?.trim();
  if (!apiKey) return new UnconfiguredLlmClient();
  const options: AnthropicLlmClientOptions = {
    apiKey,
    ...(config.base_url ? { baseUrl: config.base_url } : {}),
    timeoutMs: config.timeout_ms,
    maxRetries: config.max_retries,
    promptCaching: config.prompt_caching,
  };
  return new DeferredLlmClient('anthropic', async () => {
    const { AnthropicLlmClient } = await import('../infrastructure/llm/anthropic-llm-client.js');
    return new AnthropicLlmClient(options, logger.child({ component: 'llm' }));
  });
}

/**
 * Start-up hook: checks the configured model once, in the background (call it after the server
 * started, without awaiting). It never throws and never delays anything; it logs what it found —
 * a deprecated, retired or unknown model as a warning. Returns the check, for tests.
 */
export async function checkConfiguredModel(client: LlmClient | undefined, model: string, logger: Logger): Promise<LlmModelCheck | undefined> {
  if (!client?.checkModel) return undefined;
  try {
    const check = await client.checkModel(model);
    const fields = { model: check.model, status: check.status, ...(check.detail ? { detail: check.detail } : {}) };
    if (check.status === 'deprecated' || check.status === 'unknown_model') logger.warn(`claude.model: ${check.detail ?? check.status}`, fields);
    else if (check.status === 'unchecked') logger.info('claude.model not checked', fields);
    else logger.debug('claude.model checked', fields);
    return check;
  } catch (error) {
    // checkModel promises not to throw; a broken adapter still must not take start-up down.
    logger.warn('claude.model check failed', { model, problem: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

class UnconfiguredLlmClient implements LlmClient {
  readonly backend = 'anthropic';

  complete(): Promise<LlmResponse> {
    return Promise.reject(new LlmError('llm.not_configured', NO_API_KEY, false));
  }

  async checkModel(model: string): Promise<LlmModelCheck> {
    return { model, status: 'unchecked', detail: NO_API_KEY };
  }
}

/** Loads the adapter on first use and keeps it; a load failure fails that call (and is retried by the next). */
class DeferredLlmClient implements LlmClient {
  private loading: Promise<LlmClient> | undefined;

  constructor(
    readonly backend: string,
    private readonly load: () => Promise<LlmClient>,
  ) {}

  async complete(request: LlmRequest): Promise<LlmResponse> {
    return (await this.client()).complete(request);
  }

  async checkModel(model: string): Promise<LlmModelCheck> {
    const client = await this.client().catch(() => undefined);
    if (!client?.checkModel) return { model, status: 'unchecked', detail: 'the Anthropic client did not load' };
    return client.checkModel(model);
  }

  private client(): Promise<LlmClient> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw new LlmError('llm.unavailable', `the Anthropic client did not load: ${error instanceof Error ? error.message : String(error)}`, true);
    });
    return this.loading;
  }
}

import Anthropic from '@anthropic-ai/sdk';
import type { LlmClient, LlmModelCheck, LlmRequest, LlmResponse } from '../../application/ports/llm-client.js';
import { LlmError } from '../../application/ports/llm-client.js';
import type { Logger } from '../../application/ports/logger.js';
import { AnswerAccumulator } from './anthropic-answer.js';
import { toLlmError } from './anthropic-errors.js';
import { modelCheckFailure, modelCheckOf } from './anthropic-model-check.js';
import { messagesBody } from './anthropic-request.js';
import { IdleWatch } from './idle-watch.js';

export interface AnthropicLlmClientOptions {
  readonly apiKey: string;
  /** Default https://api.anthropic.com; the SDK appends /v1/messages. */
  readonly baseUrl?: string;
  /** The longest the API may stay silent: before the answer starts (per attempt) and between streamed events. */
  readonly timeoutMs: number;
  /** The SDK's retries of 408/409/429/5xx/529 and connection errors, honouring retry-after. */
  readonly maxRetries: number;
  readonly promptCaching: boolean;
}

/**
 * The LlmClient port on the Messages API (@anthropic-ai/sdk). One streamed call per `complete`;
 * retries are the SDK's (which honours retry-after), so what reaches the caller is final and says
 * with `retryable` whether trying later may help. Nothing is read from the environment here: the
 * key and URL come from the config (which already layered ANTHROPIC_API_KEY/ANTHROPIC_BASE_URL),
 * and the SDK's console logging and OpenTelemetry are replaced or off, so stdout stays the protocol's.
 */
export class AnthropicLlmClient implements LlmClient {
  readonly backend = 'anthropic';
  private readonly sdk: Anthropic;

  constructor(
    private readonly options: AnthropicLlmClientOptions,
    logger: Logger,
  ) {
    this.sdk = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseUrl ?? 'https://api.anthropic.com',
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      logger: sdkLogger(logger),
      logLevel: logger.debugEnabled ? 'info' : 'warn',
      openTelemetry: false,
    });
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const controller = new AbortController();
    const cancel = (): void => controller.abort();
    if (request.signal?.aborted) throw new LlmError('llm.cancelled', 'the model call was cancelled', false);
    request.signal?.addEventListener('abort', cancel, { once: true });
    const idle = new IdleWatch(this.options.timeoutMs, cancel);
    const answer = new AnswerAccumulator(request.model, guarded(request.onText));
    try {
      const stream = await this.sdk.messages.create(messagesBody(request, this.options.promptCaching), {
        signal: controller.signal,
        middleware: [idle.middleware],
      });
      // An abort (the caller's or the idle watch's) ends this loop quietly; the checks below say which.
      for await (const event of stream) answer.accept(event);
      if (request.signal?.aborted || idle.fired) throw new Error('aborted');
      return answer.response();
    } catch (error) {
      throw toLlmError(error, { cancelled: request.signal?.aborted === true, stalled: idle.fired, timeoutMs: this.options.timeoutMs, secret: this.options.apiKey });
    } finally {
      idle.stop();
      request.signal?.removeEventListener('abort', cancel);
    }
  }

  async checkModel(model: string): Promise<LlmModelCheck> {
    try {
      const info = await this.sdk.models.retrieve(model, {}, { maxRetries: Math.min(1, this.options.maxRetries) });
      return modelCheckOf(model, info);
    } catch (error) {
      return modelCheckFailure(model, error, { timeoutMs: this.options.timeoutMs, secret: this.options.apiKey });
    }
  }
}

/**
 * The SDK logs to the global console by default (debug and info to stdout, fatal on stdio). Its
 * lines go to the operator log instead, info as debug; the extra arguments (bodies, headers) are
 * left out.
 */
function sdkLogger(logger: Logger): NonNullable<ConstructorParameters<typeof Anthropic>[0]>['logger'] {
  const line = (level: 'debug' | 'warn' | 'error') => (message: string) => logger[level](`anthropic sdk: ${String(message)}`);
  return { error: line('error'), warn: line('warn'), info: line('debug'), debug: line('debug') };
}

/** A throwing progress callback must not break the model call. */
function guarded(onText: ((delta: string) => void) | undefined): (delta: string) => void {
  if (!onText) return () => undefined;
  return (delta) => {
    try {
      onText(delta);
    } catch {
      // Progress is best effort; the answer is still collected whole.
    }
  };
}

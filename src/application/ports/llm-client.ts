import type { MessageContent, MessageRole } from '../../domain/conversation/message.js';

/**
 * Port: one call to a model (the Anthropic Messages API, or the client's model through MCP
 * sampling). The agentic loop lives in the application and calls this once per iteration; an
 * adapter never loops over tools itself and keeps no server-side thread state: every request
 * carries the whole (budgeted) history.
 */
export interface LlmToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Readonly<Record<string, unknown>>;
}

export interface LlmRequest {
  readonly model: string;
  readonly system?: string;
  readonly messages: readonly { readonly role: MessageRole; readonly content: readonly MessageContent[] }[];
  readonly tools?: readonly LlmToolSpec[];
  readonly maxTokens: number;
  /** Aborts the upstream request (the caller's cancel, a task cancel, shutdown). */
  readonly signal?: AbortSignal;
  /** Text as it streams in; adapters that do not stream call it once with the whole text. */
  readonly onText?: (delta: string) => void;
}

/** Token counts as the Messages API reports them; cache figures are 0 where the backend has none. */
export interface LlmUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheCreationInputTokens: number;
}

export type LlmStopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'refusal' | 'pause_turn' | 'other';

export interface LlmResponse {
  readonly content: readonly MessageContent[];
  readonly stopReason: LlmStopReason;
  readonly usage: LlmUsage;
  /** The model that answered (the API may resolve an alias). */
  readonly model: string;
}

/** Stable codes: each names what went wrong and, with `retryable`, what the caller may do about it. */
export type LlmErrorCode =
  | 'llm.not_configured' // no API key (names the setting) or no backend
  | 'llm.auth' // 401 / 403
  | 'llm.rate_limited' // 429 after the client's own retries
  | 'llm.overloaded' // 529 / overloaded_error after retries
  | 'llm.timeout' // no answer within claude.timeout_ms
  | 'llm.context_too_long' // the prompt does not fit the model's context
  | 'llm.invalid_request' // 400 other than the above (e.g. unknown model)
  | 'llm.unavailable' // connection refused / reset, 5xx
  | 'llm.cancelled' // the request's signal aborted it
  | 'llm.sampling_unsupported'; // claude.backend is sampling and the client did not declare it

export class LlmError extends Error {
  constructor(
    readonly code: LlmErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly details: { readonly status?: number; readonly retryAfterMs?: number; readonly requestId?: string } = {},
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

/** What a start-up check of the configured model found (`models.retrieve` where the API has it). */
export interface LlmModelCheck {
  readonly model: string;
  readonly status: 'ok' | 'unknown_model' | 'deprecated' | 'unchecked';
  readonly detail?: string;
}

export interface LlmClient {
  /** `anthropic` or `sampling`: shown in health and recorded on conversation events. */
  readonly backend: string;
  complete(request: LlmRequest): Promise<LlmResponse>;
  /** Optional: checks the configured model once, never throws (a dead API is `unchecked`). */
  checkModel?(model: string): Promise<LlmModelCheck>;
}

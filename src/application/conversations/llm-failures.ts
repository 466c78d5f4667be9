import { ToolFailure, type ToolErrorEnvelope } from '../application.errors.js';
import type { LlmError, LlmErrorCode } from '../ports/llm-client.js';

type Wording = Omit<ToolErrorEnvelope, 'retryable' | 'context' | 'reason'> & { readonly reason?: string };

/**
 * What the caller's model reads for each LlmError code. `reason` defaults to the adapter's own
 * message, which is written for callers (it names settings, never the key or a raw upstream body).
 */
const WORDING: Record<LlmErrorCode, Wording> = {
  'llm.not_configured': {
    error: 'Claude is not configured',
    suggested_actions: [
      'ask the server operator to set claude.api_key (or the ANTHROPIC_API_KEY environment variable)',
      'or to set claude.backend to sampling, so your client\'s own model answers',
    ],
  },
  'llm.auth': {
    error: 'the Claude API refused the server\'s credentials',
    suggested_actions: ['ask the server operator to check claude.api_key (or ANTHROPIC_API_KEY) and its permissions'],
  },
  'llm.rate_limited': {
    error: 'the Claude API rate limit was reached',
    suggested_actions: ['wait a little, then send the same message again with the same conversation_id'],
  },
  'llm.overloaded': {
    error: 'the Claude API is overloaded',
    suggested_actions: ['wait a little, then send the same message again with the same conversation_id'],
  },
  'llm.timeout': {
    error: 'the Claude API did not answer in time',
    suggested_actions: ['send the message again', 'ask the server operator to raise claude.timeout_ms'],
  },
  'llm.context_too_long': {
    error: 'the conversation is too long for the model',
    suggested_actions: ['start a new conversation (omit conversation_id)', 'ask the server operator to lower claude.context_budget_tokens'],
  },
  'llm.invalid_request': {
    error: 'the Claude API refused the request',
    suggested_actions: ['check the model name (claude.model, or the model argument)', 'lower max_tokens'],
  },
  'llm.unavailable': {
    error: 'the Claude API is unreachable',
    suggested_actions: ['retry in a moment', 'ask the server operator to check claude.base_url and the network'],
  },
  'llm.cancelled': {
    error: 'cancelled',
    reason: 'the request was cancelled before the model answered',
    suggested_actions: [],
  },
  'llm.sampling_unsupported': {
    error: 'sampling not available',
    reason: 'claude.backend is sampling, and this client did not declare the sampling capability',
    suggested_actions: ['connect with a client that supports sampling', 'or ask the server operator to set claude.backend to api with a key'],
  },
};

/** An LlmError as the tool-error envelope, with its own `retryable` and what it knows of the upstream answer. */
export function llmFailure(error: LlmError, conversationId?: string): ToolFailure {
  const wording = WORDING[error.code];
  const context: Record<string, unknown> = { code: error.code };
  if (error.details.status !== undefined) context['status'] = error.details.status;
  if (error.details.retryAfterMs !== undefined) context['retry_after_ms'] = error.details.retryAfterMs;
  if (error.details.requestId !== undefined) context['request_id'] = error.details.requestId;
  if (conversationId !== undefined) context['conversation_id'] = conversationId;
  return new ToolFailure(
    {
      error: wording.error,
      reason: wording.reason ?? error.message,
      suggested_actions: wording.suggested_actions,
      retryable: error.retryable,
      context,
    },
    { cause: error },
  );
}

import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { LlmError, type LlmErrorCode } from '../../application/ports/llm-client.js';
import { redactText } from '../config/redact.js';

/** What the client knew when the call failed: the SDK's error alone cannot tell a caller's cancel from a stall. */
export interface FailureContext {
  /** The caller's signal aborted the call. */
  readonly cancelled: boolean;
  /** The stream went silent for timeoutMs after it had started, and the client cut it. */
  readonly stalled: boolean;
  readonly timeoutMs: number;
  /** The API key: scrubbed from every text that leaves here, whatever the API or a proxy echoed. */
  readonly secret?: string;
}

const MAX_DETAIL = 300;
const CONTEXT_TOO_LONG = /prompt is too long|too many (input )?tokens|context (window|length)|exceeds? (the )?(model'?s? )?(maximum )?context/i;

/**
 * Maps what the SDK threw (after its own retries) to a stable LlmError. Messages name the cause
 * and, where the operator can act, the setting; they never carry the key, request bodies or headers.
 */
export function toLlmError(error: unknown, context: FailureContext): LlmError {
  if (error instanceof LlmError) return error;
  if (context.cancelled || error instanceof APIUserAbortError) return new LlmError('llm.cancelled', 'the model call was cancelled', false);
  if (context.stalled) {
    return new LlmError('llm.timeout', `the API stopped sending for ${context.timeoutMs} ms in the middle of the answer (claude.timeout_ms)`, true);
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new LlmError('llm.timeout', `no answer from the API within ${context.timeoutMs} ms (claude.timeout_ms)`, true);
  }
  if (error instanceof APIConnectionError) {
    return new LlmError('llm.unavailable', `could not reach the API${causeCode(error)}`, true);
  }
  if (error instanceof APIError) return fromApiError(error, context);
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new LlmError('llm.unavailable', `the connection to the API failed (${scrub(text, context)})`, true);
}

function fromApiError(error: APIError, context: FailureContext): LlmError {
  const status = error.status;
  const type = error.type ?? undefined;
  const said = error.apiMessage ? scrub(error.apiMessage, context) : '';
  const what = [status, type].filter((part) => part !== undefined).join(' ') || 'error';
  const details = {
    ...(status !== undefined ? { status } : {}),
    ...(error.requestID ? { requestId: error.requestID } : {}),
    ...(retryAfterMs(error.headers) !== undefined ? { retryAfterMs: retryAfterMs(error.headers) } : {}),
  };
  const fail = (code: LlmErrorCode, message: string, retryable: boolean) =>
    new LlmError(code, `${message} (${what}${said ? `: ${said}` : ''})`, retryable, details);

  if (status === 401 || type === 'authentication_error') return fail('llm.auth', 'the API refused the key: check claude.api_key or ANTHROPIC_API_KEY', false);
  if (status === 403 || type === 'permission_error') return fail('llm.auth', 'the API key may not do this', false);
  if (status === 402 || type === 'billing_error') return fail('llm.auth', 'the account behind the API key cannot be billed', false);
  if (status === 429 || type === 'rate_limit_error') return fail('llm.rate_limited', 'the API rate limit was reached, also after retries', true);
  if (status === 529 || type === 'overloaded_error') return fail('llm.overloaded', 'the API is overloaded, also after retries', true);
  if (status === 413 || ((status === 400 || type === 'invalid_request_error') && CONTEXT_TOO_LONG.test(said))) {
    return fail('llm.context_too_long', "the conversation does not fit the model's context: lower claude.context_budget_tokens or start a new conversation", false);
  }
  if (status === 404 || type === 'not_found_error') return fail('llm.invalid_request', 'the API does not know this model (or claude.base_url is wrong)', false);
  if (status === 408 || status === 504 || type === 'timeout_error') return fail('llm.timeout', 'the API timed out, also after retries', true);
  if (status === undefined || status === 409 || status >= 500 || type === 'api_error') return fail('llm.unavailable', 'the API failed, also after retries', true);
  return fail('llm.invalid_request', 'the API refused the request', false);
}

/** retry-after-ms, else retry-after in seconds or as an HTTP date, as the SDK reads them. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** ECONNREFUSED, ENOTFOUND…: the one part of a connection error worth showing. */
function causeCode(error: APIConnectionError): string {
  // Duck-typed: fetch's errors may come from another realm (a test VM), where instanceof Error fails.
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 4 && typeof cause === 'object' && cause !== null; depth++) {
    const { code, cause: next } = cause as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return ` (${code})`;
    cause = next;
  }
  return '';
}

function scrub(text: string, context: FailureContext): string {
  const masked = redactText(context.secret ? text.replaceAll(context.secret, '[redacted]') : text);
  return masked.length > MAX_DETAIL ? `${masked.slice(0, MAX_DETAIL - 1)}…` : masked;
}

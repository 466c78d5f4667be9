import type Anthropic from '@anthropic-ai/sdk';
import { APIError } from '@anthropic-ai/sdk';
import type { LlmModelCheck } from '../../application/ports/llm-client.js';
import { toLlmError } from './anthropic-errors.js';

/**
 * What models.retrieve says about the configured model. `lifecycle` is the API's signal (active,
 * deprecated, retired); `retires_at` and `deprecated_at` date it. A gateway that answers without a
 * lifecycle is judged by the dates alone. A retired model cannot answer, so it counts as unknown.
 */
export function modelCheckOf(model: string, info: Partial<Anthropic.ModelInfo>): LlmModelCheck {
  const resolved = info.id && info.id !== model ? ` (resolves to ${info.id})` : '';
  const retires = info.retires_at ? `; retires ${day(info.retires_at)}` : '';
  const since = info.deprecated_at ? ` since ${day(info.deprecated_at)}` : '';
  if (info.lifecycle === 'retired') {
    return { model, status: 'unknown_model', detail: `${model}${resolved} is retired${since}: calls to it fail; choose a current model in claude.model` };
  }
  if (info.lifecycle === 'deprecated' || (info.lifecycle === undefined && (info.deprecated_at || info.retires_at))) {
    return { model, status: 'deprecated', detail: `${model}${resolved} is deprecated${since}${retires}; choose a current model in claude.model` };
  }
  return { model, status: 'ok', ...(resolved ? { detail: `${model}${resolved}` } : {}) };
}

/** A failed check never fails anything: an unknown model is reported, any other failure leaves it unchecked. */
export function modelCheckFailure(model: string, error: unknown, context: { timeoutMs: number; secret?: string }): LlmModelCheck {
  if (error instanceof APIError && error.status === 404) {
    return { model, status: 'unknown_model', detail: `the API does not know the model ${model}; choose one in claude.model` };
  }
  const failure = toLlmError(error, { cancelled: false, stalled: false, ...context });
  return { model, status: 'unchecked', detail: `${failure.code}: ${failure.message}` };
}

function day(timestamp: string): string {
  return timestamp.slice(0, 10);
}

import { DomainError } from '../shared/domain-error.js';

export type ConversationStatus = 'active' | 'completed' | 'failed' | 'closed';

/** Token counts as the model's API reports them; cache figures are 0 where the backend has none. */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheCreationInputTokens: number;
}

/** Why a turn ended: the model's stop reasons, and the loop's own (iteration cap, cancel, budget). */
export type ConversationStopReason =
  | 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'refusal' | 'pause_turn'
  | 'max_iterations' | 'cancelled' | 'budget' | 'other';

export const ZERO_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 });

const USAGE_FIELDS = ['inputTokens', 'outputTokens', 'cacheReadInputTokens', 'cacheCreationInputTokens'] as const;

/** A copy of the four counts, each a non-negative integer (a model API never reports fractions). */
export function checkedUsage(usage: TokenUsage): TokenUsage {
  for (const field of USAGE_FIELDS) {
    const value = usage[field];
    if (!Number.isSafeInteger(value) || value < 0) throw new DomainError('value.invalid', `usage.${field} must be a non-negative integer, got ${value}`);
  }
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheReadInputTokens: usage.cacheReadInputTokens,
    cacheCreationInputTokens: usage.cacheCreationInputTokens,
  };
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadInputTokens: a.cacheReadInputTokens + b.cacheReadInputTokens,
    cacheCreationInputTokens: a.cacheCreationInputTokens + b.cacheCreationInputTokens,
  };
}

import { z } from 'zod';
import type { DomainEvent } from '../../domain/shared/domain-event.js';

/** A row of `conversation_turns`: one conversation.completed or conversation.failed event. */
export interface ConversationTurnRow {
  readonly event_id: string;
  readonly conversation_id: string;
  readonly session_id: string;
  readonly outcome: 'completed' | 'failed';
  /** The stop reason of a completed turn; '' for a failed one. */
  readonly stop_reason: string;
  /** The error code of a failed turn; '' for a completed one. */
  readonly error_code: string;
  readonly retryable: number;
  readonly model: string;
  readonly iterations: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_read_input_tokens: number;
  readonly cache_creation_input_tokens: number;
  readonly occurred_at: number;
  readonly occurred_ms: number;
}

const COMPLETED = 'conversation.completed';
const FAILED = 'conversation.failed';
const tokens = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const usage = z.object({ inputTokens: tokens, outputTokens: tokens, cacheReadInputTokens: tokens, cacheCreationInputTokens: tokens });
const iterations = z.number().int().nonnegative().max(4_294_967_295);
const completedV1 = z.object({ stopReason: z.string().min(1), iterations, model: z.string(), usage });
const failedV1 = z.object({ code: z.string().min(1), retryable: z.boolean(), iterations, model: z.string().optional(), usage });

/**
 * undefined: not the end of a turn; a string: why it could not be read as one (the event is still
 * stored in `events`). The envelope was validated by the caller. Message text never reaches this
 * table: the events carry none.
 */
export function conversationTurn(event: DomainEvent, occurredAt: number, occurredMs: number, sessionId: string): ConversationTurnRow | string | undefined {
  if (event.type !== COMPLETED && event.type !== FAILED) return undefined;
  if (event.version !== 1) return `no conversation_turns mapping for ${event.type} version ${event.version} (stored in events only)`;
  const parsed = event.type === COMPLETED ? completedV1.safeParse(event.data) : failedV1.safeParse(event.data);
  if (!parsed.success) return `invalid ${event.type} v1 data (stored in events only): ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`;
  const data = parsed.data;
  const completed = 'stopReason' in data;
  return {
    event_id: event.id,
    conversation_id: event.aggregateId,
    session_id: sessionId,
    outcome: completed ? 'completed' : 'failed',
    stop_reason: completed ? data.stopReason : '',
    error_code: completed ? '' : data.code,
    retryable: !completed && data.retryable ? 1 : 0,
    model: data.model ?? '',
    iterations: data.iterations,
    input_tokens: data.usage.inputTokens,
    output_tokens: data.usage.outputTokens,
    cache_read_input_tokens: data.usage.cacheReadInputTokens,
    cache_creation_input_tokens: data.usage.cacheCreationInputTokens,
    occurred_at: occurredAt,
    occurred_ms: occurredMs,
  };
}

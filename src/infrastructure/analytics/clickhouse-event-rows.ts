import { z } from 'zod';
import type { DomainEvent } from '../../domain/shared/domain-event.js';
import { conversationTurn, type ConversationTurnRow } from './clickhouse-conversation-rows.js';
import { executionDecision, type ExecutionDecisionRow } from './clickhouse-execution-rows.js';

/** A row of `events`: DateTime columns are sent as unix seconds, which needs no time-zone agreement. */
export interface EventRow {
  readonly event_id: string;
  readonly type: string;
  readonly version: number;
  readonly aggregate_type: string;
  readonly aggregate_id: string;
  readonly session_id: string;
  readonly occurred_at: number;
  readonly occurred_ms: number;
  readonly payload: string;
  readonly inserted_at: number;
  /** The event's actor (`key:ci`, `oauth:…`, `local:alice`); empty when anonymous or the server's own. */
  readonly actor_id: string;
  readonly actor_kind: string;
}

export interface ToolExecutionRow {
  readonly execution_id: string;
  readonly event_id: string;
  readonly session_id: string;
  readonly tool: string;
  readonly outcome: string;
  readonly duration_ms: number;
  readonly error: string;
  readonly retryable: number;
  readonly occurred_at: number;
}

export interface SkippedEvent {
  readonly id: unknown;
  readonly type: unknown;
  readonly reason: string;
}

export interface ProjectedRows {
  readonly events: EventRow[];
  readonly toolExecutions: ToolExecutionRow[];
  readonly executionDecisions: ExecutionDecisionRow[];
  readonly conversationTurns: ConversationTurnRow[];
  readonly skipped: SkippedEvent[];
}

const UINT32_MAX = 4_294_967_295;
const text = z.string().min(1);
const duration = z.number().finite().nonnegative();
const toolExecutedV1 = z.object({ executionId: text, tool: text, durationMs: duration, outcome: z.literal('success') });
const toolFailedV1 = z.object({
  executionId: text,
  tool: text,
  durationMs: duration,
  outcome: z.enum(['error', 'cancelled']),
  error: z.string(),
  retryable: z.boolean(),
});

/**
 * Maps envelopes to rows. An event that cannot be mapped is skipped and reported rather than failing
 * the batch: a rejected publish would be retried until parked, taking its well-formed neighbours (and
 * every other subscriber of the batch) with it, while retrying can never fix a malformed event.
 * ClickHouse 18.16 ignores column DEFAULTs for fields missing from JSONEachRow, so every column is sent.
 */
export function projectEvents(events: readonly DomainEvent[], insertedAt: Date): ProjectedRows {
  const rows: ProjectedRows = { events: [], toolExecutions: [], executionDecisions: [], conversationTurns: [], skipped: [] };
  const inserted = Math.floor(insertedAt.getTime() / 1000);
  for (const event of events) {
    const ms = typeof event.occurredAt === 'string' ? Date.parse(event.occurredAt) : Number.NaN;
    const validVersion = Number.isInteger(event.version) && event.version >= 0 && event.version <= 65_535;
    if (typeof event.id !== 'string' || event.id === '' || typeof event.type !== 'string' || !validVersion || !Number.isFinite(ms) || ms < 0 || ms / 1000 > UINT32_MAX) {
      rows.skipped.push({ id: event.id, type: event.type, reason: 'malformed envelope (id, type, version or occurredAt)' });
      continue;
    }
    let payload: string | undefined;
    try {
      payload = JSON.stringify(event.data) ?? 'null';
    } catch (error) {
      rows.skipped.push({ id: event.id, type: event.type, reason: `payload is not JSON: ${(error as Error).message}` });
      continue;
    }
    const occurredAt = Math.floor(ms / 1000);
    const sessionId = typeof event.sessionId === 'string' ? event.sessionId : '';
    rows.events.push({
      event_id: event.id,
      type: event.type,
      version: event.version,
      aggregate_type: event.aggregateType,
      aggregate_id: event.aggregateId,
      session_id: sessionId,
      occurred_at: occurredAt,
      occurred_ms: ms % 1000,
      payload,
      inserted_at: inserted,
      actor_id: event.actor?.id ?? '',
      actor_kind: event.actor?.kind ?? '',
    });
    const execution = toolExecution(event, occurredAt, sessionId);
    if (typeof execution === 'string') rows.skipped.push({ id: event.id, type: event.type, reason: execution });
    else if (execution) rows.toolExecutions.push(execution);
    const decision = executionDecision(event, occurredAt, ms % 1000, sessionId);
    if (typeof decision === 'string') rows.skipped.push({ id: event.id, type: event.type, reason: decision });
    else if (decision) rows.executionDecisions.push(decision);
    const turn = conversationTurn(event, occurredAt, ms % 1000, sessionId);
    if (typeof turn === 'string') rows.skipped.push({ id: event.id, type: event.type, reason: turn });
    else if (turn) rows.conversationTurns.push(turn);
  }
  return rows;
}

/** undefined: not a tool execution; a string: why it could not be read as one. */
function toolExecution(event: DomainEvent, occurredAt: number, sessionId: string): ToolExecutionRow | string | undefined {
  if (event.type !== 'tool.executed' && event.type !== 'tool.failed') return undefined;
  if (event.version !== 1) return `no tool_executions mapping for ${event.type} version ${event.version} (stored in events only)`;
  const parsed = (event.type === 'tool.executed' ? toolExecutedV1 : toolFailedV1).safeParse(event.data);
  if (!parsed.success) return `invalid ${event.type} v1 data (stored in events only): ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`;
  const data = parsed.data;
  return {
    execution_id: data.executionId,
    event_id: event.id,
    session_id: sessionId,
    tool: data.tool,
    outcome: data.outcome,
    duration_ms: Math.min(UINT32_MAX, Math.round(data.durationMs)),
    error: 'error' in data ? data.error : '',
    retryable: 'retryable' in data && data.retryable ? 1 : 0,
    occurred_at: occurredAt,
  };
}

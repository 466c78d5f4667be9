import { z } from 'zod';
import type { DomainEvent } from '../../domain/shared/domain-event.js';

/** A row of `executions`: one execute_command decision (allowed or denied) and what its run did. */
export interface ExecutionDecisionRow {
  readonly event_id: string;
  readonly execution_id: string;
  readonly session_id: string;
  readonly principal: string;
  readonly decision: 'allowed' | 'denied';
  readonly rule: string;
  readonly reason: string;
  readonly backend: string;
  readonly program: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  /** null: no exit code (denied, not started, or ended by a signal). */
  readonly exit_code: number | null;
  readonly signal: string;
  readonly duration_ms: number;
  readonly stdout_bytes: number;
  readonly stderr_bytes: number;
  readonly truncated: number;
  readonly timed_out: number;
  readonly killed: number;
  readonly error: string;
  readonly occurred_at: number;
  readonly occurred_ms: number;
}

export const EXECUTION_DECIDED = 'execution.decided';

const UINT32_MAX = 4_294_967_295;
const INT32_MAX = 2_147_483_647;
const count = z.number().finite().nonnegative();
const executionDecidedV1 = z.object({
  executionId: z.string().min(1),
  decision: z.enum(['allowed', 'denied']),
  rule: z.string().min(1),
  reason: z.string().optional(),
  principal: z.string().optional(),
  backend: z.string().min(1),
  program: z.string(),
  argv: z.array(z.string()),
  cwd: z.string().optional(),
  exitCode: z.number().int().min(-INT32_MAX - 1).max(INT32_MAX).nullable().optional(),
  signal: z.string().nullable().optional(),
  durationMs: count.optional(),
  stdoutBytes: count.optional(),
  stderrBytes: count.optional(),
  truncated: z.boolean().optional(),
  timedOut: z.boolean().optional(),
  killed: z.boolean().optional(),
  error: z.string().optional(),
});

/**
 * undefined: not an execution decision; a string: why it could not be read as one (the event is
 * still stored in `events`, as for tool executions). The envelope was validated by the caller.
 * Optional fields become the column's empty value, since 18.16 ignores DEFAULTs for JSONEachRow.
 */
export function executionDecision(event: DomainEvent, occurredAt: number, occurredMs: number, sessionId: string): ExecutionDecisionRow | string | undefined {
  if (event.type !== EXECUTION_DECIDED) return undefined;
  if (event.version !== 1) return `no executions mapping for ${event.type} version ${event.version} (stored in events only)`;
  const parsed = executionDecidedV1.safeParse(event.data);
  if (!parsed.success) return `invalid ${event.type} v1 data (stored in events only): ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`;
  const data = parsed.data;
  return {
    event_id: event.id,
    execution_id: data.executionId,
    session_id: sessionId,
    principal: data.principal ?? '',
    decision: data.decision,
    rule: data.rule,
    reason: data.reason ?? '',
    backend: data.backend,
    program: data.program,
    argv: data.argv,
    cwd: data.cwd ?? '',
    exit_code: data.exitCode ?? null,
    signal: data.signal ?? '',
    duration_ms: capped(data.durationMs, UINT32_MAX),
    stdout_bytes: capped(data.stdoutBytes, Number.MAX_SAFE_INTEGER),
    stderr_bytes: capped(data.stderrBytes, Number.MAX_SAFE_INTEGER),
    truncated: data.truncated ? 1 : 0,
    timed_out: data.timedOut ? 1 : 0,
    killed: data.killed ? 1 : 0,
    error: data.error ?? '',
    occurred_at: occurredAt,
    occurred_ms: occurredMs,
  };
}

function capped(value: number | undefined, max: number): number {
  return value === undefined ? 0 : Math.min(max, Math.round(value));
}

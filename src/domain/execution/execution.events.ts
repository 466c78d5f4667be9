import { domainEvent, type DomainEvent, type EventActor, type EventMeta, type EventTrace } from '../shared/domain-event.js';

/**
 * One execution decision, allowed or denied, with what the run did when it ran. Wire type
 * `execution.decided` v1 (NATS subject `tfo.mcp.execution.decided.v1`); the ClickHouse table
 * `executions` projects it. argv is masked before it gets here (maskArgv).
 */
export interface ExecutionDecidedData {
  readonly executionId: string;
  readonly decision: 'allowed' | 'denied';
  /** The rule that fired: `reviewed`, `unreviewed_allowed`, `shell_allowed`, or the denial's rule. */
  readonly rule: string;
  readonly reason?: string;
  /** Who asked for the run (the caller's principal id; `anonymous` on a listener without auth). */
  readonly principal?: string;
  readonly backend: string;
  readonly program: string;
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly durationMs?: number;
  readonly stdoutBytes?: number;
  readonly stderrBytes?: number;
  readonly truncated?: boolean;
  readonly timedOut?: boolean;
  /** Cancelled by the caller, or killed by a timeout or signal. */
  readonly killed?: boolean;
  /** The run failed to start or the backend failed (not the program's own exit code). */
  readonly error?: string;
}

export type ExecutionDecided = DomainEvent<'execution.decided', ExecutionDecidedData>;

export function executionDecided(data: ExecutionDecidedData, meta: EventMeta, sessionId?: string, trace?: EventTrace, actor?: EventActor): ExecutionDecided {
  return domainEvent('execution', data.executionId, 'execution.decided', data, meta, sessionId, trace, actor);
}

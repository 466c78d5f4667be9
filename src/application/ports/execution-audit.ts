import type { ExecutionDecidedData } from '../../domain/execution/execution.events.js';
import type { EventActor, EventTrace } from '../../domain/shared/domain-event.js';

/**
 * Port: where execution decisions are recorded — one `execution.decided` event on the outbox
 * (→ NATS → ClickHouse) and one line on the audit log channel, apart from the operator log.
 */
export interface ExecutionAudit {
  /** `sessionId`, `trace` and `actor`: where the run was asked for and by whom, for the event's envelope. */
  record(entry: ExecutionDecidedData, sessionId?: string, trace?: EventTrace, actor?: EventActor): Promise<void>;
}

/** The audit log channel: one structured line per decision (a file or stderr, execution.audit.file). */
export interface AuditLine {
  write(entry: Readonly<Record<string, unknown>>): void;
}

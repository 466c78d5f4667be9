import { executionDecided, type ExecutionDecidedData } from '../../domain/execution/execution.events.js';
import type { EventActor, EventTrace } from '../../domain/shared/domain-event.js';
import type { EventMetaSource } from '../../domain/shared/event-meta-source.js';
import type { AuditLine, ExecutionAudit } from '../ports/execution-audit.js';
import type { Logger } from '../ports/logger.js';
import type { Outbox } from '../ports/outbox.js';

/**
 * Records each decision twice on purpose: the event is the durable, queryable fact (outbox, so it
 * is not lost between the run and the publish); the audit line is what an operator tails or ships
 * without the event pipeline. A failed append is logged, never turned into a failed command: the
 * run has already happened, and its result still belongs to the caller.
 */
export class ExecutionAuditTrail implements ExecutionAudit {
  constructor(
    private readonly outbox: Outbox,
    private readonly line: AuditLine,
    private readonly meta: EventMetaSource,
    private readonly logger: Logger,
  ) {}

  async record(entry: ExecutionDecidedData, sessionId?: string, trace?: EventTrace, actor?: EventActor): Promise<void> {
    const event = executionDecided(entry, this.meta(), sessionId, trace, actor);
    this.line.write({ event: event.type, id: event.id, at: event.occurredAt, ...(sessionId ? { sessionId } : {}), ...entry });
    try {
      await this.outbox.append([event]);
    } catch (error) {
      this.logger.error('an execution audit event could not be stored', { executionId: entry.executionId, error: String(error) });
    }
  }
}

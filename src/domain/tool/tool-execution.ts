import { AggregateRoot } from '../shared/aggregate-root.js';
import { domainEvent } from '../shared/domain-event.js';
import { DomainError } from '../shared/domain-error.js';
import type { EventMetaSource } from '../shared/event-meta-source.js';
import type { ToolExecutionEvent, ToolOutcome } from './tool.events.js';

export interface ToolExecutionSnapshot {
  readonly id: string;
  readonly sessionId: string;
  readonly tool: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly outcome?: ToolOutcome;
  readonly error?: string;
}

/**
 * One run of one tool. Its own aggregate (not part of Session) so that concurrent calls on a
 * session never contend for the same row, and the audit trail of executions is append-only.
 */
export class ToolExecution extends AggregateRoot<ToolExecutionEvent> {
  private finishedAt?: Date;
  private outcome?: ToolOutcome;
  private error?: string;

  private constructor(
    readonly id: string,
    readonly sessionId: string,
    readonly tool: string,
    private readonly startedAt: Date,
    private readonly meta: EventMetaSource,
  ) {
    super();
  }

  static start(id: string, sessionId: string, tool: string, startedAt: Date, meta: EventMetaSource): ToolExecution {
    return new ToolExecution(id, sessionId, tool, startedAt, meta);
  }

  succeed(): void {
    const m = this.finish('success');
    this.record(
      domainEvent(
        'tool_execution',
        this.id,
        'tool.executed',
        { executionId: this.id, tool: this.tool, durationMs: this.durationMs(m.occurredAt), outcome: 'success' },
        m,
        this.sessionId,
      ),
    );
  }

  fail(outcome: 'error' | 'cancelled', error: string, retryable: boolean): void {
    const m = this.finish(outcome);
    this.error = error;
    this.record(
      domainEvent(
        'tool_execution',
        this.id,
        'tool.failed',
        { executionId: this.id, tool: this.tool, durationMs: this.durationMs(m.occurredAt), outcome, error, retryable },
        m,
        this.sessionId,
      ),
    );
  }

  snapshot(): ToolExecutionSnapshot {
    return {
      id: this.id,
      sessionId: this.sessionId,
      tool: this.tool,
      startedAt: this.startedAt.toISOString(),
      ...(this.finishedAt
        ? { finishedAt: this.finishedAt.toISOString(), durationMs: this.durationMs(this.finishedAt) }
        : {}),
      ...(this.outcome ? { outcome: this.outcome } : {}),
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  private finish(outcome: ToolOutcome) {
    if (this.outcome !== undefined) {
      throw new DomainError('value.invalid', `tool execution ${this.id} already finished (${this.outcome})`);
    }
    const m = this.meta();
    this.outcome = outcome;
    this.finishedAt = m.occurredAt;
    return m;
  }

  private durationMs(end: Date): number {
    return Math.max(0, end.getTime() - this.startedAt.getTime());
  }
}

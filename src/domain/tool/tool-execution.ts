import { AggregateRoot } from '../shared/aggregate-root.js';
import { domainEvent, type EventActor, type EventTrace } from '../shared/domain-event.js';
import { DomainError } from '../shared/domain-error.js';
import type { EventMetaSource } from '../shared/event-meta-source.js';
import type { ToolExecutionEvent, ToolOutcome } from './tool.events.js';

/**
 * Who asked: a session (2025 revisions, stdio), or a stateless 2026-07-28 request's principal,
 * with the request's trace context when the client sent one.
 */
export interface ExecutionOrigin {
  readonly sessionId?: string;
  readonly principal?: string;
  readonly trace?: EventTrace;
}

export interface ToolExecutionSnapshot {
  readonly id: string;
  /** Absent for a stateless request (then `principal` says who). */
  readonly sessionId?: string;
  readonly principal?: string;
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

  readonly sessionId?: string;
  readonly principal?: string;
  private readonly trace?: EventTrace;

  private constructor(
    readonly id: string,
    origin: ExecutionOrigin,
    readonly tool: string,
    private readonly startedAt: Date,
    private readonly meta: EventMetaSource,
    /** Who called (absent: the anonymous caller); recorded as the events' actor. */
    private readonly actor?: EventActor,
  ) {
    super();
    this.sessionId = origin.sessionId;
    this.principal = origin.principal;
    this.trace = origin.trace;
  }

  /** `origin`: a session id, or who asked statelessly; `actor`: the caller, for the events. */
  static start(id: string, origin: string | ExecutionOrigin, tool: string, startedAt: Date, meta: EventMetaSource, actor?: EventActor): ToolExecution {
    return new ToolExecution(id, typeof origin === 'string' ? { sessionId: origin } : origin, tool, startedAt, meta, actor);
  }

  succeed(): void {
    const m = this.finish('success');
    this.record(
      domainEvent(
        'tool_execution',
        this.id,
        'tool.executed',
        this.principal === undefined
          ? { executionId: this.id, tool: this.tool, durationMs: this.durationMs(m.occurredAt), outcome: 'success' }
          : { executionId: this.id, tool: this.tool, durationMs: this.durationMs(m.occurredAt), outcome: 'success', principal: this.principal },
        m,
        this.sessionId,
        this.trace,
        this.actor,
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
        this.principal === undefined
          ? { executionId: this.id, tool: this.tool, durationMs: this.durationMs(m.occurredAt), outcome, error, retryable }
          : { executionId: this.id, tool: this.tool, durationMs: this.durationMs(m.occurredAt), outcome, error, retryable, principal: this.principal },
        m,
        this.sessionId,
        this.trace,
        this.actor,
      ),
    );
  }

  snapshot(): ToolExecutionSnapshot {
    return {
      id: this.id,
      ...(this.sessionId !== undefined ? { sessionId: this.sessionId } : {}),
      ...(this.principal !== undefined ? { principal: this.principal } : {}),
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

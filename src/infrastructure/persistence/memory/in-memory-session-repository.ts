import type { Outbox } from '../../../application/ports/outbox.js';
import { DomainError } from '../../../domain/shared/domain-error.js';
import type { Session } from '../../../domain/session/session.js';
import type { SessionRepository } from '../../../domain/session/session.repository.js';
import { SESSION_STATES, type SessionState } from '../../../domain/session/session-state.js';

/**
 * An identity map: `get` returns the live aggregate (one process, one thread, so no torn reads).
 * Closed sessions are kept up to a retention count so memory stays bounded under churn.
 */
export class InMemorySessionRepository implements SessionRepository {
  private readonly sessions = new Map<string, Session>();
  private readonly closedOrder: string[] = [];

  constructor(
    private readonly outbox: Outbox,
    private readonly closedRetention: number,
  ) {}

  async get(id: string): Promise<Session> {
    const session = this.sessions.get(id);
    if (!session) throw new DomainError('session.not_found', `session ${id.slice(0, 80)} does not exist`);
    return session;
  }

  async save(session: Session): Promise<void> {
    const isNew = !this.sessions.has(session.id);
    this.sessions.set(session.id, session);
    const events = session.pullEvents();
    if (events.length > 0) await this.outbox.append(events);
    if (session.currentState === 'CLOSED' && (isNew || events.some((e) => e.type === 'session.closed'))) {
      this.closedOrder.push(session.id);
      while (this.closedOrder.length > this.closedRetention) this.sessions.delete(this.closedOrder.shift() as string);
    }
  }

  async countByState(): Promise<Record<SessionState, number>> {
    const counts = Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;
    for (const session of this.sessions.values()) counts[session.currentState] += 1;
    return counts;
  }
}

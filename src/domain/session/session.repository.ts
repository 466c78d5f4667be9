import type { Session } from './session.js';
import type { SessionState } from './session-state.js';

/**
 * Port. `save` writes the aggregate's state and its pulled events atomically
 * (one transaction in Postgres; one synchronous step in memory).
 */
export interface SessionRepository {
  /** Throws DomainError('session.not_found') when absent. */
  get(id: string): Promise<Session>;
  save(session: Session): Promise<void>;
  countByState(): Promise<Record<SessionState, number>>;
}

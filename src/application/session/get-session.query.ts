import type { SessionSnapshot } from '../../domain/session/session.js';
import type { SessionRepository } from '../../domain/session/session.repository.js';
import { Query, type QueryHandler } from '../bus/message-bus.js';

export class GetSessionQuery extends Query<SessionSnapshot> {
  constructor(readonly sessionId: string) {
    super();
  }
}

export class GetSessionHandler implements QueryHandler<GetSessionQuery> {
  readonly handles = GetSessionQuery;

  constructor(private readonly sessions: SessionRepository) {}

  async execute(query: GetSessionQuery): Promise<SessionSnapshot> {
    return (await this.sessions.get(query.sessionId)).snapshot();
  }
}

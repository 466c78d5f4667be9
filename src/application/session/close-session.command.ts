import type { SessionRepository } from '../../domain/session/session.repository.js';
import { Command, type CommandHandler } from '../bus/message-bus.js';

/** Idempotent: closing a closed session changes nothing and records nothing. */
export class CloseSessionCommand extends Command<{ closed: boolean }> {
  constructor(readonly sessionId: string, readonly reason: string) {
    super();
  }
}

export class CloseSessionHandler implements CommandHandler<CloseSessionCommand> {
  readonly handles = CloseSessionCommand;

  constructor(private readonly sessions: SessionRepository) {}

  async execute(command: CloseSessionCommand): Promise<{ closed: boolean }> {
    const session = await this.sessions.get(command.sessionId);
    const closed = session.close(command.reason);
    if (closed) await this.sessions.save(session);
    return { closed };
  }
}

import type { SessionRepository } from '../../domain/session/session.repository.js';
import { Command, type CommandHandler } from '../bus/message-bus.js';

export class MarkSessionReadyCommand extends Command<void> {
  constructor(readonly sessionId: string) {
    super();
  }
}

export class MarkSessionReadyHandler implements CommandHandler<MarkSessionReadyCommand> {
  readonly handles = MarkSessionReadyCommand;

  constructor(private readonly sessions: SessionRepository) {}

  async execute(command: MarkSessionReadyCommand): Promise<void> {
    const session = await this.sessions.get(command.sessionId);
    session.markReady();
    await this.sessions.save(session);
  }
}

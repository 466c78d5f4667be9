import { LogLevel, type LogLevelName } from '../../domain/session/log-level.js';
import type { SessionRepository } from '../../domain/session/session.repository.js';
import { Command, type CommandHandler } from '../bus/message-bus.js';

export class SetLogLevelCommand extends Command<{ level: LogLevelName }> {
  constructor(readonly sessionId: string, readonly level: string) {
    super();
  }
}

export class SetLogLevelHandler implements CommandHandler<SetLogLevelCommand> {
  readonly handles = SetLogLevelCommand;

  constructor(private readonly sessions: SessionRepository) {}

  async execute(command: SetLogLevelCommand): Promise<{ level: LogLevelName }> {
    const level = LogLevel.of(command.level);
    const session = await this.sessions.get(command.sessionId);
    session.setLogLevel(level);
    await this.sessions.save(session);
    return { level: level.name };
  }
}

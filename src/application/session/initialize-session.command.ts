import { ClientCapabilities, ClientInfo } from '../../domain/session/client-info.js';
import type { SessionRepository } from '../../domain/session/session.repository.js';
import { Command, type CommandHandler } from '../bus/message-bus.js';
import type { ServerSettings } from '../server-settings.js';

export interface InitializeSessionResult {
  readonly protocolVersion: string;
}

export class InitializeSessionCommand extends Command<InitializeSessionResult> {
  constructor(
    readonly sessionId: string,
    readonly requestedProtocolVersion: string,
    readonly clientInfo: { name: string; version: string; title?: string },
    readonly capabilities: Record<string, unknown>,
  ) {
    super();
  }
}

export class InitializeSessionHandler implements CommandHandler<InitializeSessionCommand> {
  readonly handles = InitializeSessionCommand;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly settings: ServerSettings,
  ) {}

  async execute(command: InitializeSessionCommand): Promise<InitializeSessionResult> {
    const session = await this.sessions.get(command.sessionId);
    const version = session.initialize(
      command.requestedProtocolVersion,
      this.settings.supportedProtocolVersions,
      ClientInfo.of(command.clientInfo),
      ClientCapabilities.of(command.capabilities),
    );
    await this.sessions.save(session);
    return { protocolVersion: version.value };
  }
}

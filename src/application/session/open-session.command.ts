import type { Principal } from '../../domain/auth/principal.js';
import type { EventMetaSource } from '../../domain/shared/event-meta-source.js';
import { Session } from '../../domain/session/session.js';
import type { SessionRepository } from '../../domain/session/session.repository.js';
import type { TransportKind } from '../../domain/session/session-state.js';
import { Command, type CommandHandler } from '../bus/message-bus.js';
import type { IdGenerator } from '../ports/clock.js';
import type { ServerSettings } from '../server-settings.js';

/**
 * A transport accepted a connection: the session exists, in state CREATED, owned by `principal`
 * (absent: the anonymous caller of a listener without auth).
 */
export class OpenSessionCommand extends Command<{ sessionId: string }> {
  constructor(
    readonly transport: TransportKind,
    readonly sessionId?: string,
    readonly principal?: Principal,
  ) {
    super();
  }
}

export class OpenSessionHandler implements CommandHandler<OpenSessionCommand> {
  readonly handles = OpenSessionCommand;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly ids: IdGenerator,
    private readonly meta: EventMetaSource,
    private readonly settings: ServerSettings,
  ) {}

  async execute(command: OpenSessionCommand): Promise<{ sessionId: string }> {
    const id = command.sessionId ?? this.ids.next();
    const session = Session.create(id, command.transport, this.meta, this.settings.defaultClientLogLevel, command.principal);
    await this.sessions.save(session);
    return { sessionId: id };
  }
}

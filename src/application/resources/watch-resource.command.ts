import type { SessionRepository } from '../../domain/session/session.repository.js';
import { ApplicationError } from '../application.errors.js';
import { allowsResource, type Authorization } from '../auth/authorization.js';
import { Command, type CommandHandler } from '../bus/message-bus.js';
import type { ClientRequests } from '../ports/client-requests.js';
import type { ResourceCatalog } from './resource-catalog.js';

/** resources/subscribe: `onChange` runs whenever the resource changes, until `stop` is called. */
export class WatchResourceCommand extends Command<{ stop: () => void }> {
  constructor(
    readonly sessionId: string,
    readonly uri: string,
    readonly onChange: () => void,
    readonly client?: ClientRequests,
  ) {
    super();
  }
}

export class WatchResourceHandler implements CommandHandler<WatchResourceCommand> {
  readonly handles = WatchResourceCommand;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly catalog: ResourceCatalog,
    private readonly authorization: Authorization,
  ) {}

  async execute(command: WatchResourceCommand): Promise<{ stop: () => void }> {
    const session = await this.sessions.get(command.sessionId);
    session.assertOperational('resources/subscribe');
    const caller = session.principal;
    if (!allowsResource(caller.grants, command.uri)) throw await this.authorization.deniedResource(caller, command.sessionId, 'resources/subscribe', command.uri);
    let stop: (() => void) | undefined;
    try {
      stop = await this.catalog.watch(command.uri, command.onChange, { sessionId: command.sessionId, caller, client: command.client });
    } catch (error) {
      throw new ApplicationError('resource.not_found', `Resource not found: ${command.uri.slice(0, 512)}`, { cause: error });
    }
    // A URI no provider owns may still appear (or be served by a later release): the subscription is
    // kept and simply never fires. URIs a provider owns but cannot serve were refused above.
    return { stop: stop ?? (() => undefined) };
  }
}

import { WatchResourceCommand } from '../../application/resources/watch-resource.command.js';
import { catalogHandlers, type CallSite } from './catalog.handlers.js';
import { RPC, rpcError } from './error-mapping.js';
import { ReadResourceParams } from './params.js';
import type { Extra } from './route.js';
import { route } from './route.js';
import type { SessionChannel } from './session-channel.js';
import { clientRequests, toolContext } from './tool-context.js';

const MAX_SUBSCRIPTIONS = 100;

/** A session's request as a CallSite: the origin is the session id. */
class SessionCallSite implements CallSite {
  constructor(
    private readonly connection: SessionChannel,
    private readonly extra: Extra,
  ) {}

  get origin(): string {
    return this.connection.sessionId;
  }

  toolContext(tool: string) {
    return toolContext(this.connection, tool, this.extra);
  }

  client() {
    return clientRequests(this.connection, this.extra);
  }

  afterAnswer(task: () => void): void {
    this.extra.afterAnswer(task);
  }
}

/** The catalog (see catalog.handlers.ts) on a session, plus resources/subscribe and unsubscribe. */
export function registerCatalogRoutes(connection: SessionChannel): void {
  const { commands, features } = connection.deps;
  for (const [method, h] of catalogHandlers(connection.deps)) {
    route(connection, method, h.params, (params, extra) => h.run(params, new SessionCallSite(connection, extra)));
  }

  if (features.resources) {
    route(connection, 'resources/subscribe', ReadResourceParams, async ({ uri }, extra) => {
      if (connection.subscriptions.has(uri)) return {};
      if (connection.subscriptions.size >= MAX_SUBSCRIPTIONS) {
        throw rpcError(RPC.InvalidParams, `at most ${MAX_SUBSCRIPTIONS} subscriptions per session; unsubscribe from one first`);
      }
      const notify = () => void connection.dispatcher.notify('notifications/resources/updated', { uri }).catch(() => undefined);
      const { stop } = await commands.execute(new WatchResourceCommand(connection.sessionId, uri, notify, clientRequests(connection, extra)));
      connection.subscriptions.set(uri, stop);
      return {};
    });
    route(connection, 'resources/unsubscribe', ReadResourceParams, async ({ uri }) => {
      connection.subscriptions.get(uri)?.();
      connection.subscriptions.delete(uri);
      return {};
    });
  }
}

import { InitializeSessionCommand } from '../../application/session/initialize-session.command.js';
import { MarkSessionReadyCommand } from '../../application/session/mark-session-ready.command.js';
import { SetLogLevelCommand } from '../../application/session/set-log-level.command.js';
import { LogLevel } from '../../domain/session/log-level.js';
import type { SessionChannel } from './session-channel.js';
import { EmptyParams, InitializeParams, SetLevelParams } from './params.js';
import { route } from './route.js';

/** initialize, notifications/initialized, logging/setLevel, shutdown. (ping and cancellation are the dispatcher's.) */
export function registerLifecycleRoutes(connection: SessionChannel): void {
  const { deps } = connection;
  const { commands, logger, settings } = deps;

  route(connection, 'initialize', InitializeParams, async (params, extra) => {
    const { protocolVersion } = await commands.execute(
      new InitializeSessionCommand(connection.sessionId, params.protocolVersion, params.clientInfo, params.capabilities),
    );
    // Kept for our own server→client requests (sampling, elicitation, roots).
    connection.clientCapabilities = params.capabilities;
    logger.info('session initialized', {
      sessionId: connection.sessionId,
      client: params.clientInfo.name,
      protocolVersion,
      requestId: extra.requestId,
    });
    return {
      protocolVersion,
      capabilities: connection.capabilities,
      serverInfo: { name: settings.name, version: settings.version },
      ...(deps.instructions ? { instructions: deps.instructions } : {}),
    };
  });

  // Handled in arrival order: requests sent after it (even before the initialize answer) see READY.
  connection.dispatcher.onNotification('notifications/initialized', () => {
    connection.inOrder(async () => {
      try {
        await commands.execute(new MarkSessionReadyCommand(connection.sessionId));
        connection.ready = true;
      } catch (error) {
        logger.warn('notifications/initialized ignored', { sessionId: connection.sessionId, reason: (error as Error).message });
      }
    });
  });

  // The next call that needs the roots asks the client again.
  connection.dispatcher.onNotification('notifications/roots/list_changed', () => connection.clientRoots.invalidate());

  if (deps.features.logging) {
    route(connection, 'logging/setLevel', SetLevelParams, async (params) => {
      const { level } = await commands.execute(new SetLogLevelCommand(connection.sessionId, params.level));
      connection.clientLogLevel = LogLevel.of(level);
      return {};
    });
  }

  route(connection, 'shutdown', EmptyParams, async () => {
    // No new requests from here on; the ones already running are answered first (this one stays).
    const drained = await connection.gate.drain(settings.drainTimeoutMs, 1);
    if (!drained) logger.warn('shutdown: requests still running after the drain timeout', { pending: connection.gate.pending - 1 });
    await connection.close('shutdown requested');
    // The response is written before the next macrotask; only then does the transport close.
    setImmediate(() => void connection.closeTransport());
    return {};
  });
}

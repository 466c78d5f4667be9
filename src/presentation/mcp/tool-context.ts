import { CreateMessageResultSchema, ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ClientRequests } from '../../application/ports/client-requests.js';
import type { ToolContext } from '../../application/tools/tool-definition.js';
import type { LogLevelName } from '../../domain/session/log-level.js';
import type { SessionChannel } from './session-channel.js';
import type { Extra } from './route.js';

const noProgress = () => {};

/** The spec requires progress to increase with every notification; stale or repeated values are dropped. */
function increasingProgress(token: string | number, extra: Extra, failed: (error: unknown) => void) {
  let last = -Infinity;
  return (progress: number, total?: number, message?: string) => {
    if (!(progress > last)) return;
    last = progress;
    const params = { progressToken: token, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) };
    extra.sendNotification({ method: 'notifications/progress', params }).catch(failed);
  };
}

/**
 * What a tool may send back while it runs. Progress needs the request's progressToken; log
 * messages pass the session's threshold. Both go to this request's client only.
 */
export function toolContext(connection: SessionChannel, tool: string, extra: Extra): ToolContext {
  const token = extra._meta?.progressToken;
  const logging = connection.deps.features.logging;
  const failed = (error: unknown) => connection.deps.logger.debug('notification not delivered', { tool, error: String(error) });
  return {
    sessionId: connection.sessionId,
    signal: extra.signal,
    progress: token === undefined ? noProgress : increasingProgress(token, extra, failed),
    client: clientRequests(connection, extra),
    releaseStream: () => extra.closeSSEStream?.(),
    log: (level: LogLevelName, data: unknown) => {
      if (!logging || !connection.clientLogLevel.admits(level)) return;
      extra.sendNotification({ method: 'notifications/message', params: { level, logger: tool, data } }).catch(failed);
    },
  };
}

/** Server→client requests ride on the current request, so they reach this client on its stream. */
function clientRequests(connection: SessionChannel, extra: Extra): ClientRequests {
  const declared = connection.server.getClientCapabilities() ?? {};
  return {
    supports: { sampling: declared.sampling !== undefined, elicitation: declared.elicitation !== undefined },
    createMessage: async (params) =>
      (await extra.sendRequest({ method: 'sampling/createMessage', params: params as never }, CreateMessageResultSchema)) as Record<string, unknown>,
    elicit: async (params) => {
      const result = await extra.sendRequest({ method: 'elicitation/create', params: params as never }, ElicitResultSchema);
      return result as { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> };
    },
  };
}

import type { ZodType } from 'zod';
import { RPC, rpcError, toMcpError } from './error-mapping.js';
import type { RequestScope } from './request-dispatcher.js';
import type { SessionChannel } from './session-channel.js';

/** A request's `extra`: the SDK's RequestHandlerExtra, plus `cancelled` (read without creating the signal). */
export type Extra = RequestScope;
type Result = Record<string, unknown>;

/**
 * Registers `method` on the connection's dispatcher (not the SDK's request path: see
 * RequestDispatcher). Params are validated here and answered with -32602 naming the problem, then
 * whatever the use case throws is mapped once.
 */
export function route<P>(
  channel: SessionChannel,
  method: string,
  params: ZodType<P>,
  handler: (params: P, extra: Extra) => Promise<Result>,
): void {
  const { gate } = channel;
  const { logger } = channel.deps;
  channel.dispatcher.register(method, async (request, extra) => {
    gate.enter(method);
    const started = logger.debugEnabled ? performance.now() : 0;
    let outcome = 'ok';
    try {
      if (channel.initializing && method !== 'initialize') await channel.initializing;
      const parsed = params.safeParse(request.params ?? {});
      if (!parsed.success) throw rpcError(RPC.InvalidParams, `Invalid params for ${method}: ${describeIssues(parsed.error.issues)}`);
      return await handler(parsed.data, extra);
    } catch (error) {
      const mapped = toMcpError(error, logger, method, channel.deps.errorCodes);
      outcome = `error ${mapped.code}`;
      throw mapped;
    } finally {
      // Whatever became of it (bad params included), requests waiting on initialize may go on.
      if (method === 'initialize') channel.initializeSettled();
      gate.leave();
      if (logger.debugEnabled) {
        const ms = Math.round((performance.now() - started) * 1000) / 1000;
        logger.debug('request handled', { sessionId: channel.sessionId, method, id: extra.requestId, ms, outcome });
      }
    }
  });
}


export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : 'params'}: ${issue.message}`)
    .join('; ');
}

/** Omits undefined optional fields so results stay exactly what the spec shapes allow. */
export function page<T>(items: T[], nextCursor: string | undefined, key: string): Result {
  return nextCursor === undefined ? { [key]: items } : { [key]: items, nextCursor };
}

import { Protocol, type RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z, type ZodType } from 'zod';
import { RPC, rpcError, toMcpError } from './error-mapping.js';
import type { SessionChannel } from './session-channel.js';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
type Result = Record<string, unknown>;

/**
 * Registers `method` with a schema that only pins the method name, so that the SDK never rejects
 * params itself (its parse failures surface as -32603 or as multi-line zod dumps). We validate
 * params here and answer -32602 with the problem named, then map whatever the use case throws once.
 *
 * Registration goes through Protocol's setRequestHandler: the SDK Server's override re-validates
 * tools/call requests and results with its own schemas, answering in its own words, and costs a
 * zod parse per call; our results are built from typed use-case output.
 */
export function route<P>(
  channel: SessionChannel,
  method: string,
  params: ZodType<P>,
  handler: (params: P, extra: Extra) => Promise<Result>,
): void {
  const { server, gate } = channel;
  const { logger } = channel.deps;
  const envelope = envelopeFor(method);
  const register = Protocol.prototype.setRequestHandler as (schema: unknown, handler: unknown) => void;
  register.call(server, envelope, async (request: { params?: unknown }, extra: Extra) => {
    gate.enter(method);
    const started = logger.debugEnabled ? performance.now() : 0;
    let outcome = 'ok';
    try {
      if (channel.initializing && method !== 'initialize') await channel.initializing;
      const parsed = params.safeParse(request.params ?? {});
      if (!parsed.success) throw rpcError(RPC.InvalidParams, `Invalid params for ${method}: ${describeIssues(parsed.error.issues)}`);
      return await handler(parsed.data, extra);
    } catch (error) {
      const mapped = toMcpError(error, logger, method);
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

export function onNotification(server: SessionChannel['server'], method: string, handler: () => Promise<void>): void {
  server.setNotificationHandler(envelopeFor(method), handler as never);
}

/** One schema per method for the whole process: every HTTP session registers the same routes. */
const envelopes = new Map<string, z.ZodObject>();

function envelopeFor(method: string): z.ZodObject {
  let envelope = envelopes.get(method);
  if (!envelope) {
    envelope = z.object({ method: z.literal(method), params: z.unknown().optional() });
    envelopes.set(method, envelope);
  }
  return envelope;
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

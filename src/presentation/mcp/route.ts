import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z, type ZodType } from 'zod';
import type { Logger } from '../../application/ports/logger.js';
import { RPC, rpcError, toMcpError } from './error-mapping.js';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
type Result = Record<string, unknown>;

/**
 * Registers `method` with a schema that only pins the method name, so that the SDK never rejects
 * params itself (its parse failures surface as -32603). We validate params here and answer -32602
 * with the problem named, then map whatever the use case throws exactly once.
 */
export function route<P>(
  server: Server,
  logger: Logger,
  method: string,
  params: ZodType<P>,
  handler: (params: P, extra: Extra) => Promise<Result>,
): void {
  const envelope = z.object({ method: z.literal(method), params: z.unknown().optional() });
  server.setRequestHandler(envelope, (async (request: { params?: unknown }, extra: Extra) => {
    const parsed = params.safeParse(request.params ?? {});
    if (!parsed.success) throw rpcError(RPC.InvalidParams, `Invalid params for ${method}: ${describeIssues(parsed.error.issues)}`);
    try {
      return await handler(parsed.data, extra);
    } catch (error) {
      throw toMcpError(error, logger, method);
    }
  }) as never);
}

export function onNotification(server: Server, method: string, handler: () => Promise<void>): void {
  const envelope = z.object({ method: z.literal(method), params: z.unknown().optional() });
  server.setNotificationHandler(envelope, handler as never);
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

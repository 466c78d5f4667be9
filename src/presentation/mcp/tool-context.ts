import { specTypeSchemas } from '@modelcontextprotocol/server';
import type { ClientRequests } from '../../application/ports/client-requests.js';
import type { Logger } from '../../application/ports/logger.js';
import type { ToolContext } from '../../application/tools/tool-definition.js';
import type { LogLevel, LogLevelName } from '../../domain/session/log-level.js';
import type { SessionChannel } from './session-channel.js';
import type { Extra } from './route.js';
import type { ResultCheck } from './request-dispatcher.js';

const noProgress = () => {};

function progressTokenOf(meta: Record<string, unknown> | undefined): string | number | undefined {
  const token = meta?.['progressToken'];
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}

/** What a tool's context needs of one request, on either era: a session's RequestScope, or a stateless call. */
export interface RequestIo {
  readonly signal: AbortSignal;
  readonly cancelled: boolean;
  readonly _meta: Record<string, unknown> | undefined;
  readonly closeSSEStream: (() => void) | undefined;
  sendNotification(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  afterAnswer(task: () => void): void;
}

/** Who the tool works for, and how chatty it may be with them. */
export interface ToolAudience {
  /** What per-client budgets and scopes key on (a session id, or one stateless request). */
  readonly scopeKey: string;
  readonly logger: Logger;
  readonly logging: boolean;
  readonly logLevel: LogLevel;
}

/** The spec requires progress to increase with every notification; stale or repeated values are dropped. */
function increasingProgress(token: string | number, io: RequestIo, failed: (error: unknown) => void) {
  let last = -Infinity;
  return (progress: number, total?: number, message?: string) => {
    if (!(progress > last)) return;
    last = progress;
    const params = { progressToken: token, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) };
    io.sendNotification({ method: 'notifications/progress', params }).catch(failed);
  };
}

/**
 * What a tool may send back while it runs. Progress needs the request's progressToken; log
 * messages pass the session's threshold. Both go to this request's client only.
 */
export function toolContext(connection: SessionChannel, tool: string, extra: Extra): ToolContext {
  return new RequestToolContext(audienceOf(connection), tool, extra, () => clientRequests(connection, extra));
}

const audiences = new WeakMap<SessionChannel, ToolAudience>();

/** One per session, read live: logging/setLevel takes effect for tools already running. */
function audienceOf(connection: SessionChannel): ToolAudience {
  let audience = audiences.get(connection);
  if (!audience) {
    audience = {
      get scopeKey() {
        return connection.sessionId;
      },
      logger: connection.deps.logger,
      logging: connection.deps.features.logging,
      get logLevel() {
        return connection.clientLogLevel;
      },
    };
    audiences.set(connection, audience);
  }
  return audience;
}

/**
 * One per tools/call, so kept cheap: the request's AbortSignal and the client-request helpers are
 * created only if the tool reads them (`cancelled` answers without creating the signal).
 * `progress` and `log` stay own functions: a tool may pass them on detached.
 */
export class RequestToolContext implements ToolContext {
  readonly sessionId: string;
  readonly progress: ToolContext['progress'];
  readonly log: ToolContext['log'];
  private clientRequests?: ClientRequests;

  constructor(
    audience: ToolAudience,
    tool: string,
    private readonly io: RequestIo,
    private readonly makeClient: () => ClientRequests,
  ) {
    this.sessionId = audience.scopeKey;
    const token = progressTokenOf(io._meta);
    const failed = (error: unknown) => audience.logger.debug('notification not delivered', { tool, error: String(error) });
    this.progress = token === undefined ? noProgress : increasingProgress(token, io, failed);
    this.log = (level: LogLevelName, data: unknown) => {
      if (!audience.logging || !audience.logLevel.admits(level)) return;
      io.sendNotification({ method: 'notifications/message', params: { level, logger: tool, data } }).catch(failed);
    };
  }

  get signal(): AbortSignal {
    return this.io.signal;
  }

  get cancelled(): boolean {
    return this.io.cancelled;
  }

  get client(): ClientRequests {
    return (this.clientRequests ??= this.makeClient());
  }

  releaseStream(): void {
    this.io.closeSSEStream?.();
  }

  afterAnswer(task: () => void): void {
    this.io.afterAnswer(task);
  }
}

/** How long a client may take to answer roots/list before the server roots are used instead. */
const ROOTS_TIMEOUT_MS = 10_000;

/** Checks a client's answer against the spec's schema for it (the SDK v2's own schemas). */
export function answerOf(type: 'CreateMessageResult' | 'ElicitResult' | 'ListRootsResult'): ResultCheck {
  const schema = specTypeSchemas[type]['~standard'];
  return (result) => {
    const issues = schema.validate(result).issues;
    if (issues === undefined) return undefined;
    return issues
      .slice(0, 3)
      .map((issue) => `${issue.path?.map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || 'result'}: ${issue.message}`)
      .join('; ');
  };
}

const checks = {
  createMessage: answerOf('CreateMessageResult'),
  elicit: answerOf('ElicitResult'),
  listRoots: answerOf('ListRootsResult'),
};

/** Server→client requests ride on the current request, so they reach this client on its stream. */
export function clientRequests(connection: SessionChannel, extra: Extra): ClientRequests {
  const declared = connection.clientCapabilities;
  return {
    supports: { sampling: declared.sampling !== undefined, elicitation: declared.elicitation !== undefined, roots: declared.roots !== undefined },
    createMessage: (params) => extra.sendRequest('sampling/createMessage', params as Record<string, unknown>, { check: checks.createMessage }),
    elicit: async (params) => {
      const result = await extra.sendRequest('elicitation/create', params as Record<string, unknown>, { check: checks.elicit });
      return result as { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> };
    },
    listRoots: () =>
      connection.clientRoots.list(async () => {
        const result = (await extra.sendRequest('roots/list', undefined, { check: checks.listRoots, timeoutMs: ROOTS_TIMEOUT_MS })) as {
          roots: { uri: string; name?: string }[];
        };
        return result.roots.map((root) => (root.name === undefined ? { uri: root.uri } : { uri: root.uri, name: root.name }));
      }),
  };
}

import {
  PROTOCOL_VERSION_META_KEY,
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolErrorCode,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../../application/ports/logger.js';
import type { Transport } from '../../transports/transport.js';
import { classifyBody, type ModernRequest } from './revision-claim.js';
import type { StatelessEndpoint, StatelessReply, StatelessRequest } from './stateless-endpoint.js';

type Notification = { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> };

/** What a stateless connection needs of the endpoint (the server's one StatelessEndpoint). */
export type StatelessService = Pick<StatelessEndpoint, 'serve' | 'has'>;

/**
 * A stdio connection pinned to the 2026-07-28 revision by its first request (ADR 009): no Session,
 * each request served by the one StatelessEndpoint as a request of principal `anonymous`, its
 * answer and the notifications it sends while it runs written as frames on the one output. It also
 * answers the `server/discover` probes that come before any connection is pinned.
 *
 * What a 2025 client sends here is refused as v2's `serveStdio` refuses it on a modern connection:
 * `initialize` with -32022 naming the served revisions, other requests without the envelope with
 * -32602. `subscriptions/listen` is not served on stdio yet (-32601).
 */
export class StatelessConnection {
  /** Requests whose handler still runs, by JSON-RPC id (cancelled ones too, until the handler ends). */
  private readonly running = new Map<RequestId, StdioReply>();
  private inFlight = 0;
  private draining = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly endpoint: StatelessService,
    private readonly transport: Transport,
    private readonly logger: Logger,
    private readonly supported: readonly string[],
  ) {}

  /** Every message of a pinned connection, as the transport delivers it. */
  readonly receive = (message: JSONRPCMessage): void => {
    // A response: nothing is asked of a client on this revision (no server→client requests on stdio).
    if (!('method' in message)) return;
    if (!('id' in message)) return this.notified(message);
    const verdict = classifyBody(message, this.supported);
    if (verdict.kind === 'modern') return this.serve(verdict);
    if (verdict.kind === 'reject') return this.answerError(message.id, verdict.code, verdict.message, verdict.data);
    this.refuseUnclaimed(message as JSONRPCRequest);
  };

  /** A request that passed the revision checks. */
  serve(verdict: ModernRequest): void {
    const message = verdict.message as JSONRPCRequest;
    const { id, method } = message;
    if (method === 'subscriptions/listen') return this.answerError(id, ProtocolErrorCode.MethodNotFound, 'Method not found: subscriptions/listen is not served over stdio');
    if (this.draining) return this.answerError(id, ProtocolErrorCode.InvalidRequest, `the server is shutting down; '${method.slice(0, 100)}' was not started`);
    const reply = new StdioReply(this.transport);
    this.running.set(id, reply);
    this.inFlight += 1;
    void this.endpoint
      .serve(requestOf(verdict, message), reply)
      .then(
        (answer) => {
          if (reply.gone) return answer.settle();
          return this.transport.send(answer.message).then(answer.settle, (error: unknown) => {
            answer.settle();
            this.logger.warn('stdio: an answer could not be written', { method, error: String(error) });
          });
        },
        (error: unknown) => {
          this.logger.error('stdio: a stateless request failed outside its handler', { method, error: String(error) });
          if (!reply.gone) this.answerError(id, ProtocolErrorCode.InternalError, 'Internal error');
        },
      )
      .finally(() => this.finished(id, reply));
  }

  /** Notifications: only cancellation means anything from a client here. */
  notified(message: { method: string; params?: unknown }): void {
    if (message.method !== 'notifications/cancelled') return;
    const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
    if (requestId !== undefined) this.running.get(requestId)?.leave();
  }

  /** Refuses new requests from now on; resolves true once none is in flight, false after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    if (this.inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idle.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const drained = await Promise.race([idle, late]);
    clearTimeout(timer);
    return drained;
  }

  /** The connection is gone: every running request counts as cancelled and nothing more is written. */
  closeAll(): void {
    this.draining = true;
    for (const reply of this.running.values()) reply.leave();
  }

  private finished(id: RequestId, reply: StdioReply): void {
    if (this.running.get(id) === reply) this.running.delete(id);
    this.inFlight -= 1;
    if (this.inFlight > 0 || this.idle.length === 0) return;
    const waiters = this.idle;
    this.idle = [];
    for (const resolve of waiters) resolve();
  }

  /** A 2025-era request on a 2026-07-28 connection. */
  private refuseUnclaimed(message: JSONRPCRequest): void {
    const { id, method } = message;
    if (method === 'initialize') {
      const requested = (message.params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
      const pinned = `this connection serves protocol revision ${this.supported.join(', ')} (pinned by its first request); initialize needs a new connection`;
      if (typeof requested !== 'string') {
        return this.answerError(id, ProtocolErrorCode.UnsupportedProtocolVersion, `Unsupported protocol version: the request did not name one; ${pinned}`, { supported: [...this.supported] });
      }
      return this.answerError(id, ProtocolErrorCode.UnsupportedProtocolVersion, `Unsupported protocol version: ${requested.slice(0, 100)}; ${pinned}`, {
        supported: [...this.supported],
        requested: requested.slice(0, 100),
      });
    }
    if (!this.endpoint.has(method)) return this.answerError(id, ProtocolErrorCode.MethodNotFound, `Method not found: ${method.slice(0, 100)}`);
    const missing = [PROTOCOL_VERSION_META_KEY, CLIENT_CAPABILITIES_META_KEY];
    this.answerError(id, ProtocolErrorCode.InvalidParams, `Request is missing the required _meta envelope for protocol revision ${this.supported[0]} (${missing.join(', ')})`, {
      envelope: { missing },
    });
  }

  private answerError(id: RequestId, code: number, message: string, data?: unknown): void {
    const error = data === undefined ? { code, message } : { code, message, data };
    this.transport.send({ jsonrpc: '2.0', id, error }).catch((failure: unknown) => this.logger.warn('stdio: an error answer could not be written', { error: String(failure) }));
  }
}

/** No spreads of optional members: built once per request on the serving path. */
function requestOf(verdict: ModernRequest, message: JSONRPCRequest): StatelessRequest {
  const request: { -readonly [K in keyof StatelessRequest]: StatelessRequest[K] } = {
    message,
    protocolVersion: verdict.protocolVersion,
    clientCapabilities: verdict.clientCapabilities,
    principal: 'anonymous',
  };
  if (verdict.logLevel !== undefined) request.logLevel = verdict.logLevel;
  if (verdict.trace) request.trace = verdict.trace;
  return request;
}

/**
 * Where one request's notifications go: the shared output. `gone` once the client cancelled it or
 * the connection closed; from then on nothing is written for it (the spec's MUST NOT).
 */
class StdioReply implements StatelessReply {
  gone = false;
  private listener?: () => void;

  constructor(private readonly transport: Transport) {}

  notify(message: Notification): Promise<void> {
    return this.gone ? Promise.resolve() : this.transport.send(message as JSONRPCMessage);
  }

  onGone(listener: () => void): void {
    this.listener = listener;
  }

  leave(): void {
    if (this.gone) return;
    this.gone = true;
    this.listener?.();
  }
}

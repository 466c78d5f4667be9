import {
  PROTOCOL_VERSION_META_KEY,
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolErrorCode,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../../application/ports/logger.js';
import { ANONYMOUS, type Principal } from '../../../domain/auth/principal.js';
import type { Transport } from '../../transports/transport.js';
import { classifyBody, type ModernRequest } from './revision-claim.js';
import type { StatelessEndpoint, StatelessReply, StatelessRequest } from './stateless-endpoint.js';
import type { StreamMessage, Subscription, SubscriptionHub } from './subscriptions.js';

type Notification = { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> };

/** What a stateless connection needs of the endpoint (the server's one StatelessEndpoint). */
export type StatelessService = Pick<StatelessEndpoint, 'serve' | 'has'>;

/**
 * A stdio connection pinned to the 2026-07-28 revision by its first request (ADR 009): no Session,
 * each request served by the one StatelessEndpoint as a request of the connection's principal (the local user), its
 * answer and the notifications it sends while it runs written as frames on the one output. It also
 * answers the `server/discover` probes that come before any connection is pinned.
 *
 * What a 2025 client sends here is refused as v2's `serveStdio` refuses it on a modern connection:
 * `initialize` with -32022 naming the served revisions, other requests without the envelope with
 * -32602. `subscriptions/listen` holds its request open: the acknowledgement and the notifications
 * it asked for are written as frames until the client cancels it or the connection closes.
 */
export class StatelessConnection {
  /** Requests whose handler still runs, by JSON-RPC id (cancelled ones too, until the handler ends). */
  private readonly running = new Map<RequestId, StdioReply>();
  private inFlight = 0;
  private draining = false;
  private idle: (() => void)[] = [];
  /** Open subscriptions/listen requests, by JSON-RPC id. */
  private readonly listens = new Map<RequestId, Subscription>();

  constructor(
    private readonly endpoint: StatelessService,
    private readonly transport: Transport,
    private readonly logger: Logger,
    private readonly supported: readonly string[],
    /** Built on the first listen request (most connections never send one). */
    private readonly hubOf?: () => SubscriptionHub,
    /** Who sends every request of this connection (stdio: the local user). */
    private readonly principal: Principal = ANONYMOUS,
  ) {}

  private hub?: SubscriptionHub;

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
    if (method === 'subscriptions/listen') return this.listen(verdict, message);
    if (this.draining) return this.answerError(id, ProtocolErrorCode.InvalidRequest, `the server is shutting down; '${method.slice(0, 100)}' was not started`);
    const reply = new StdioReply(this.transport);
    this.running.set(id, reply);
    this.inFlight += 1;
    void this.endpoint
      .serve(requestOf(verdict, message, this.principal), reply)
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

  /** Notifications: only cancellation means anything from a client here (of a request, or of a listen). */
  notified(message: { method: string; params?: unknown }): void {
    if (message.method !== 'notifications/cancelled') return;
    const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
    if (requestId === undefined) return;
    this.running.get(requestId)?.leave();
    const listen = this.listens.get(requestId);
    if (listen) {
      this.listens.delete(requestId);
      listen.close();
    }
  }

  /** subscriptions/listen: the hub writes the acknowledgement and every notification as frames. */
  private listen(verdict: ModernRequest, message: JSONRPCRequest): void {
    const { id } = message;
    if (!this.hubOf) return this.answerError(id, ProtocolErrorCode.MethodNotFound, 'Method not found: subscriptions/listen');
    if (this.draining) return this.answerError(id, ProtocolErrorCode.InvalidRequest, "the server is shutting down; 'subscriptions/listen' was not started");
    if (this.listens.has(id)) return this.answerError(id, ProtocolErrorCode.InvalidRequest, 'a subscriptions/listen request with this id is already open');
    const sink = {
      send: (frame: StreamMessage) => {
        this.transport.send(frame as JSONRPCMessage).catch((error: unknown) => this.logger.warn('stdio: a listen frame could not be written', { error: String(error) }));
      },
      end: () => this.listens.delete(id),
    };
    const outcome = (this.hub ??= this.hubOf()).open({ id, params: message.params, principal: this.principal.id, clientCapabilities: verdict.clientCapabilities }, sink);
    if (outcome.refused) return this.answerError(id, outcome.error.code, outcome.error.message, outcome.error.data);
    this.listens.set(id, outcome);
  }

  /** Refuses new requests from now on; resolves true once none is in flight, false after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    // Open listens get their graceful end (the listen request's result) before the output closes.
    this.hub?.closeAll();
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
    for (const listen of this.listens.values()) listen.close();
    this.listens.clear();
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
function requestOf(verdict: ModernRequest, message: JSONRPCRequest, principal: Principal): StatelessRequest {
  const request: { -readonly [K in keyof StatelessRequest]: StatelessRequest[K] } = {
    message,
    protocolVersion: verdict.protocolVersion,
    clientCapabilities: verdict.clientCapabilities,
    principal: principal.id,
  };
  if (principal !== ANONYMOUS) request.caller = principal;
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

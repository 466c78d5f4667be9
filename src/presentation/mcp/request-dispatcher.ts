import { ProtocolError, ProtocolErrorCode, type JSONRPCMessage, type JSONRPCRequest, type RequestId } from '@modelcontextprotocol/server';
import { NO_METRICS, outcomeOfErrorCode, type Metrics, type RequestOutcome } from '../../application/ports/metrics.js';
import type { RequestSpanInfo, Tracer } from '../../application/ports/tracer.js';
import type { MessageInfo, Transport } from '../transports/transport.js';

export type RequestHandler = (request: JSONRPCRequest, scope: RequestScope) => Promise<Record<string, unknown>>;

/** What an answer to one of our own server→client requests must look like; undefined when it does. */
export type ResultCheck = (result: unknown) => string | undefined;

export interface OutgoingOptions {
  /** The client request this one serves: an HTTP transport sends it on that request's stream. */
  readonly relatedRequestId?: RequestId;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly check?: ResultCheck;
}

interface Pending {
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly check?: ResultCheck;
}

/** How long a client may take to answer one of our requests (the SDKs' default). */
const DEFAULT_OUTGOING_TIMEOUT_MS = 60_000;
/** -32001 in the SDKs' list; never sent to a client, only raised locally for our own requests. */
const REQUEST_TIMEOUT = -32001;
const CONNECTION_CLOSED = -32000;

/**
 * The JSON-RPC peer of one connection: it serves the methods our route tables register, answers
 * `ping` and unknown methods (-32601), applies `notifications/cancelled`, and correlates the
 * answers to our own server→client requests (sampling, elicitation, roots). No SDK `Server` or
 * `Protocol` is connected to the transport (ADR 009): tfo-mcp uses the SDK for types, schemas and
 * helpers, and serves every request here.
 *
 * Why own it: per request the SDK classifies every incoming message with zod and creates an
 * AbortController whether or not anything listens, and each AbortSignal kept its request's objects
 * alive past young-generation collections (measured: see ADR 006). Here a request's signal exists
 * only when a handler reads it. Answers are exactly the SDK's: `result` or `error {code, message, data}`,
 * nothing after cancellation or close.
 */
export class RequestDispatcher {
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly notificationHandlers = new Map<string, (params: unknown) => void>();
  private readonly running = new Map<RequestId, RequestScope>();
  private readonly outgoing = new Map<RequestId, Pending>();
  private transport?: Transport;
  private nextOutgoingId = 0;

  /**
   * `metrics`: each request and notification served here counts as a 2025-era (`legacy`) request.
   * `tracing`: each request runs in its own SERVER span (given only when tracing is on).
   */
  constructor(
    private readonly onError: (error: Error) => void,
    private readonly metrics: Metrics = NO_METRICS,
    private readonly tracing?: { readonly tracer: Tracer; readonly transport: RequestSpanInfo['transport'] },
  ) {
    this.handlers.set('ping', async () => ({}));
  }

  register(method: string, handler: RequestHandler): void {
    if (this.handlers.has(method) && method !== 'ping') throw new Error(`a handler for ${method} is already registered`);
    this.handlers.set(method, handler);
  }

  /** A notification handled here, synchronously and in arrival order relative to requests. */
  onNotification(method: string, handler: (params: unknown) => void): void {
    this.notificationHandlers.set(method, handler);
  }

  /**
   * Takes the transport: every message arrives here (`observe` sees each first), and `onClosed`
   * runs once the transport has closed, after running handlers were told and pending requests failed.
   */
  async attach(transport: Transport, observe: (message: JSONRPCMessage) => void, onClosed: () => void): Promise<void> {
    this.transport = transport;
    transport.onmessage = (message, info) => {
      observe(message);
      this.receive(transport, message, info);
    };
    transport.onerror = (error) => this.onError(error);
    transport.onclose = () => {
      this.closeAll();
      onClosed();
    };
    await transport.start();
  }

  /** A notification to the client; with `relatedRequestId` it travels with that request's answer. */
  async notify(method: string, params: Record<string, unknown> | undefined, relatedRequestId?: RequestId): Promise<void> {
    const transport = this.transport;
    if (!transport) return;
    const message = (params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }) as JSONRPCMessage;
    await transport.send(message, relatedRequestId === undefined ? undefined : { relatedRequestId });
  }

  /**
   * A server→client request. Rejects with a ProtocolError carrying the client's error, on timeout
   * (after telling the client with notifications/cancelled), on `signal`, or when the connection closes.
   */
  request(method: string, params: Record<string, unknown> | undefined, options: OutgoingOptions = {}): Promise<Record<string, unknown>> {
    const transport = this.transport;
    if (!transport) return Promise.reject(new ProtocolError(CONNECTION_CLOSED, 'Not connected'));
    if (options.signal?.aborted) return Promise.reject(new ProtocolError(CONNECTION_CLOSED, 'Request was cancelled'));
    const id = this.nextOutgoingId++;
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? DEFAULT_OUTGOING_TIMEOUT_MS;
      const giveUp = (error: Error) => {
        if (!this.outgoing.delete(id)) return;
        clearTimeout(pending.timer);
        options.signal?.removeEventListener('abort', onAbort);
        void transport
          .send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: error.message } }, sendOptions)
          .catch(() => undefined);
        reject(error);
      };
      const onAbort = () => giveUp(new ProtocolError(CONNECTION_CLOSED, 'Request was cancelled'));
      const sendOptions = options.relatedRequestId === undefined ? undefined : { relatedRequestId: options.relatedRequestId };
      const pending: Pending = {
        resolve: (result) => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          options.signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        timer: setTimeout(() => giveUp(new ProtocolError(REQUEST_TIMEOUT, `Request timed out after ${timeoutMs} ms`, { timeout: timeoutMs })), timeoutMs),
        ...(options.check ? { check: options.check } : {}),
      };
      this.outgoing.set(id, pending);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const message = (params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }) as JSONRPCMessage;
      transport.send(message, sendOptions).catch((error: unknown) => {
        if (!this.outgoing.delete(id)) return;
        clearTimeout(pending.timer);
        pending.reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  /** Closes the transport; `onClosed` (see attach) follows. */
  async closeTransport(): Promise<void> {
    await this.transport?.close();
  }

  /** The connection closed: handlers still running are told (their signal aborts) and their answers dropped. */
  closeAll(): void {
    for (const scope of this.running.values()) scope.cancel(new ProtocolError(CONNECTION_CLOSED, 'Connection closed'));
    this.running.clear();
    for (const [id, pending] of this.outgoing) {
      clearTimeout(pending.timer);
      this.outgoing.delete(id);
      pending.reject(new ProtocolError(CONNECTION_CLOSED, 'Connection closed'));
    }
  }

  private receive(transport: Transport, message: JSONRPCMessage, info: MessageInfo | undefined): void {
    const m = message as { id?: RequestId; method?: string; params?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
    if (m.method !== undefined) {
      if (m.id !== undefined) {
        const handler = this.handlers.get(m.method);
        if (handler) return this.dispatch(transport, message as JSONRPCRequest, info, handler);
        const started = this.metrics.requestStarted();
        this.answerError(transport, m.id, ProtocolErrorCode.MethodNotFound, `Method not found: ${m.method.slice(0, 100)}`);
        this.metrics.requestEnded(started, m.method, 'legacy', 'client_error');
        return;
      }
      const started = this.metrics.requestStarted();
      let outcome: RequestOutcome = 'ok';
      try {
        if (m.method === 'notifications/cancelled') {
          const params = m.params as { requestId?: RequestId; reason?: unknown } | undefined;
          if (params?.requestId !== undefined) this.running.get(params.requestId)?.cancel(params.reason);
          return;
        }
        this.notificationHandlers.get(m.method)?.(m.params);
      } catch (error) {
        outcome = 'server_error';
        this.onError(error instanceof Error ? error : new Error(String(error)));
      } finally {
        this.metrics.requestEnded(started, m.method, 'legacy', outcome);
      }
      return;
    }
    // An answer to one of our requests; one we no longer wait for (timed out, cancelled) is dropped.
    if (m.id === undefined) return;
    const pending = this.outgoing.get(m.id);
    if (!pending) return;
    this.outgoing.delete(m.id);
    clearTimeout(pending.timer);
    if (m.error !== undefined) {
      const code = Number.isSafeInteger(m.error?.code) ? (m.error.code as number) : ProtocolErrorCode.InternalError;
      pending.reject(new ProtocolError(code, typeof m.error?.message === 'string' ? m.error.message : 'the client answered with an error', m.error?.data));
      return;
    }
    const problem = pending.check?.(m.result);
    if (problem !== undefined) {
      pending.reject(new ProtocolError(ProtocolErrorCode.InvalidParams, `the client's answer is malformed: ${problem}`));
      return;
    }
    pending.resolve((m.result ?? {}) as Record<string, unknown>);
  }

  private answerError(transport: Transport, id: RequestId, code: number, message: string): void {
    transport.send({ jsonrpc: '2.0', id, error: { code, message } }).catch((error: unknown) => this.onError(new Error(`Failed to send response: ${String(error)}`)));
  }

  private traced(
    tracing: { readonly tracer: Tracer; readonly transport: RequestSpanInfo['transport'] },
    request: JSONRPCRequest,
    info: MessageInfo | undefined,
    scope: RequestScope,
    handler: RequestHandler,
  ): Promise<Record<string, unknown>> {
    return tracing.tracer.request(requestSpanInfo(tracing.transport, request, info), () => handler(request, scope));
  }

  private dispatch(transport: Transport, request: JSONRPCRequest, info: MessageInfo | undefined, handler: RequestHandler): void {
    const scope = new RequestScope(this, request, info, transport.sessionId);
    const id = request.id;
    const started = this.metrics.requestStarted();
    let outcome: RequestOutcome = 'cancelled';
    this.running.set(id, scope);
    (this.tracing === undefined ? handler(request, scope) : this.traced(this.tracing, request, info, scope, handler))
      .then(
        (result) => {
          if (scope.cancelled) return undefined;
          outcome = 'ok';
          return transport.send({ jsonrpc: '2.0', id, result });
        },
        (error: { code?: unknown; message?: string; data?: unknown }) => {
          if (scope.cancelled) return undefined;
          const code = Number.isSafeInteger(error?.code) ? (error.code as number) : ProtocolErrorCode.InternalError;
          outcome = outcomeOfErrorCode(code);
          const data = error?.data;
          const message = error?.message ?? 'Internal error';
          return transport.send({ jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } });
        },
      )
      .catch((error: unknown) => this.onError(new Error(`Failed to send response: ${String(error)}`)))
      .finally(() => {
        if (this.running.get(id) === scope) this.running.delete(id);
        this.metrics.requestEnded(started, request.method, 'legacy', outcome);
        scope.answered();
      });
  }
}

/** The client's trace context from `_meta` (2026-07-28 style, also honoured on a session) and the HTTP headers. */
function requestSpanInfo(transport: RequestSpanInfo['transport'], request: JSONRPCRequest, info: MessageInfo | undefined): RequestSpanInfo {
  const params = request.params as { _meta?: Record<string, unknown>; name?: unknown } | undefined;
  const traceparent = params?._meta?.['traceparent'];
  const tracestate = params?._meta?.['tracestate'];
  const headers = info?.headers;
  const headerParent = headers?.['traceparent'];
  const headerState = headers?.['tracestate'];
  return {
    method: request.method,
    transport,
    ...(typeof traceparent === 'string' ? { meta: typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent } } : {}),
    ...(typeof headerParent === 'string' ? { header: typeof headerState === 'string' ? { traceparent: headerParent, tracestate: headerState } : { traceparent: headerParent } } : {}),
    ...(request.method === 'tools/call' && typeof params?.name === 'string' ? { toolName: params.name } : {}),
  };
}

/**
 * One request as its handler sees it. The AbortController behind `signal` is created on first
 * read; a cancellation before that is remembered and applied then.
 */
export class RequestScope {
  cancelled = false;
  private controller?: AbortController;
  private reason?: unknown;
  /** Tasks waiting for the answer to leave (see afterAnswer); usually none. */
  private after?: (() => void)[];

  constructor(
    private readonly peer: RequestDispatcher,
    private readonly request: JSONRPCRequest,
    private readonly info: MessageInfo | undefined,
    readonly sessionId: string | undefined,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get requestId(): RequestId {
    return this.request.id;
  }

  get _meta(): Record<string, unknown> | undefined {
    return this.request.params?._meta as Record<string, unknown> | undefined;
  }

  /** The HTTP request's headers, on HTTP transports. */
  get headers(): MessageInfo['headers'] {
    return this.info?.headers;
  }

  get closeSSEStream(): (() => void) | undefined {
    return this.info?.closeSSEStream;
  }

  /** Runs `task` once the answer to this request has been sent (handed to the transport's output) or dropped. */
  afterAnswer(task: () => void): void {
    (this.after ??= []).push(task);
  }

  answered(): void {
    const tasks = this.after;
    this.after = undefined;
    if (tasks) for (const task of tasks) task();
  }

  cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  async sendNotification(notification: { method: string; params?: Record<string, unknown> }): Promise<void> {
    if (this.cancelled) return;
    await this.peer.notify(notification.method, notification.params, this.request.id);
  }

  /** A server→client request on this request's stream; cancelled with it. */
  async sendRequest(method: string, params: Record<string, unknown> | undefined, options: Omit<OutgoingOptions, 'relatedRequestId' | 'signal'> = {}): Promise<Record<string, unknown>> {
    if (this.cancelled) throw new ProtocolError(CONNECTION_CLOSED, 'Request was cancelled');
    return this.peer.request(method, params, { ...options, relatedRequestId: this.request.id, signal: this.signal });
  }
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONRPCMessage, JSONRPCRequest } from '@modelcontextprotocol/server';
import { GetHealthQuery } from '../../../application/health/get-health.query.js';
import type { SseReplayStore } from '../../../application/ports/sse-replay-store.js';
import { ANONYMOUS, type Principal } from '../../../domain/auth/principal.js';
import type { McpDependencies } from '../../mcp/session-channel.js';
import type { StatelessEndpoint } from '../../mcp/stateless/stateless-endpoint.js';
import { statelessEndpoint, subscriptionHub } from '../../mcp/stateless/stateless-server.js';
import type { ListenSink, SubscriptionHub } from '../../mcp/stateless/subscriptions.js';
import { classifyFrame } from '../json-rpc-frame.js';
import {
  accepts,
  BodyTooLarge,
  corsHeaders,
  isJsonContentType,
  loopbackHosts,
  preflight,
  readBody,
  rejectedByHostOrOrigin,
  type GuardOptions,
} from './http-guards.js';
import type { Admission, HttpAuth } from './http-auth.js';
import { clientOf, HttpSessionRegistry, SessionStoreUnavailable, TooManySessions } from './http-session-registry.js';
import { classifyRevision, type ModernRequest } from './revision-claim.js';
import { checkRoutingHeaders, paramHeaderLookup, type ToolParamHeaders } from './routing-headers.js';
import { SseStream } from './sse-stream.js';

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly loopback: boolean;
  readonly allowedHosts: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  readonly maxSessions: number;
  readonly maxSessionsPerClient: number;
  readonly sessionIdleMs: number;
  readonly initTimeoutMs: number;
  /** Slow clients: the whole header block, then the whole request, must arrive within these. */
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** A keep-alive connection with no request in flight is closed after this long. */
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly keepaliveMs: number;
  readonly retryMs: number;
  readonly legacySse: boolean;
  readonly responseMode: 'auto' | 'json' | 'sse';
  /**
   * `GET path` answers a Prometheus scrape (telemetry.metrics on, without a port of its own): a plain
   * node:http handler from the composition root, served like /health (Host/Origin checked, no auth).
   */
  readonly metrics?: { readonly path: string; readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> };
}

/** The W3C trace headers as sent (validated by the tracer); read only when tracing is on. */
function traceHeaders(req: IncomingMessage): { traceparent?: string; tracestate?: string } {
  const { traceparent, tracestate } = req.headers;
  return {
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
    ...(typeof tracestate === 'string' ? { tracestate } : {}),
  };
}

/** Transport-level failures use the JSON-RPC server-error range, as the SDK's transport does. */
const TRANSPORT_ERROR = -32000;
/** A listen stream whose client stops reading is ended once this much is queued for it. */
const MAX_LISTEN_BACKLOG_BYTES = 1024 * 1024;

/**
 * tfo-mcp over HTTP on plain node:http: Streamable HTTP on /mcp, the legacy HTTP+SSE transport on
 * /sse + /messages, liveness on /health and readiness on /ready. Host and Origin are checked before
 * any body is read, and so is the caller when `auth` is given (credentials, request budget): every
 * session, stateless request and listen stream then belongs to the principal it admitted, and a
 * session id presented by anyone else is answered 404, as an unknown one is.
 */
export class McpHttpServer {
  private readonly http: Server;
  private readonly registry: HttpSessionRegistry;
  /** The 2026-07-28 revision: built on its first request, so 2025-only deployments never pay for it. */
  private stateless?: StatelessEndpoint;
  /** subscriptions/listen streams (2026-07-28), built on the first one. */
  private listens?: SubscriptionHub;
  private guards: GuardOptions;
  /** The Mcp-Param-* headers each tool declares (x-mcp-header), scanned once per tool. */
  private readonly paramHeaders: ToolParamHeaders | undefined;

  constructor(
    private readonly deps: McpDependencies,
    replayStore: SseReplayStore,
    private readonly options: HttpServerOptions,
    /** Absent: no authentication and no request limits (every caller is anonymous; loopback only). */
    private readonly auth?: HttpAuth,
  ) {
    this.guards = this.guardsFor(options.port);
    this.paramHeaders = deps.toolCatalog ? paramHeaderLookup(deps.toolCatalog) : undefined;
    this.registry = new HttpSessionRegistry(
      deps,
      replayStore,
      {
        keepaliveMs: options.keepaliveMs,
        retryMs: options.retryMs,
        responseMode: options.responseMode,
        requestTimeoutMs: options.requestTimeoutMs,
        maxSessions: options.maxSessions,
        maxSessionsPerClient: options.maxSessionsPerClient,
        idleMs: options.sessionIdleMs,
        initTimeoutMs: options.initTimeoutMs,
      },
      deps.logger,
    );
    // requestTimeout bounds receiving a request (headers and body), not the response: SSE streams stay open.
    const limits = {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: Math.max(options.bodyTimeoutMs, options.headersTimeoutMs),
      connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs),
    };
    this.http = createServer(limits, (req, res) => {
      this.route(req, res).catch((error: unknown) => {
        deps.logger.error('http request failed', { url: req.url, error: error instanceof Error ? error.stack : String(error) });
        if (!res.headersSent) fail(res, 500, -32603, 'Internal error: details are in the server log');
        else res.end();
      });
    });
    this.http.keepAliveTimeout = options.idleTimeoutMs;
    this.http.maxConnections = options.maxConnections;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => resolve());
    });
    const port = (this.http.address() as AddressInfo).port;
    this.guards = this.guardsFor(port);
    return port;
  }

  /** Sessions held by this server, by lifecycle state (the sessions gauge). */
  sessionStates(): { READY: number; INITIALIZING: number } {
    return this.registry.states();
  }

  get sessionCount(): number {
    return this.registry.size;
  }

  /** Open subscriptions/listen streams. */
  get listenCount(): number {
    return this.listens?.size ?? 0;
  }

  /**
   * Stop accepting, answer what is in flight (bounded), then end every session — or, when sessions
   * live in shared storage (`endSessions: false`), leave them for the next process — then the sockets.
   */
  async close(drainMs: number, endSessions = true): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    // Listen streams never end on their own: each gets its graceful result now.
    this.listens?.closeAll();
    await this.registry.closeAll('server shutdown', drainMs, endSessions);
    this.http.closeAllConnections();
    await closed;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Health too: its report names roots and components, which a rebinding page must not read.
    const rejected = rejectedByHostOrOrigin(req, this.guards);
    if (rejected) return fail(res, 403, TRANSPORT_ERROR, `Forbidden: ${rejected}`);
    if (url.pathname === '/health' || url.pathname === '/ready') return this.health(url.pathname, req, res);
    if (this.options.metrics !== undefined && url.pathname === this.options.metrics.path) return this.options.metrics.handle(req, res);
    if (req.method === 'OPTIONS') return preflight(req, res, this.guards);
    const document = this.auth && (req.method === 'GET' || req.method === 'HEAD') ? this.auth.wellKnown(url.pathname) : undefined;
    if (document) return this.publish(req, res, document);
    const legacy = this.options.legacySse && ((url.pathname === '/sse' && req.method === 'GET') || (url.pathname === '/messages' && req.method === 'POST'));
    if (url.pathname !== '/mcp' && !legacy) return fail(res, 404, TRANSPORT_ERROR, `Not found: ${url.pathname.slice(0, 100)}`);
    // Before any body is read: who is calling, and whether their request budget allows one more.
    const principal = this.auth ? await this.admitted(req, res, this.auth) : ANONYMOUS;
    if (!principal) return;
    if (legacy) return url.pathname === '/sse' ? this.legacyOpen(req, res, principal) : this.legacyPost(req, res, url, principal);
    if (req.method === 'POST') return this.post(req, res, principal);
    if (req.method === 'GET') return this.get(req, res, principal);
    if (req.method === 'DELETE') return this.delete(req, res, principal);
    res.setHeader('Allow', 'GET, POST, DELETE, OPTIONS');
    return fail(res, 405, TRANSPORT_ERROR, 'Method not allowed');
  }

  /** The admitted principal, or undefined once the refusal (401/400/403/429/503 with its headers) is answered. */
  private async admitted(req: IncomingMessage, res: ServerResponse, auth: HttpAuth): Promise<Principal | undefined> {
    const admission: Admission = await auth.admit(req);
    if (admission.ok) return admission.principal;
    // A browser client reads WWW-Authenticate and Retry-After only when CORS lets it.
    for (const [name, value] of Object.entries({ ...corsHeaders(req, this.guards), ...admission.headers })) res.setHeader(name, value);
    const data = admission.retryAfterMs === undefined ? { code: admission.code } : { code: admission.code, retry_after_ms: admission.retryAfterMs };
    fail(res, admission.status, TRANSPORT_ERROR, admission.message, null, data);
    return undefined;
  }

  /** A public document (RFC 9728 metadata): no credentials needed, CORS as for /mcp. */
  private publish(req: IncomingMessage, res: ServerResponse, document: Record<string, unknown>): void {
    const body = JSON.stringify(document);
    res.writeHead(200, { ...corsHeaders(req, this.guards), 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async post(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    if (!accepts(req, 'application/json') || !accepts(req, 'text/event-stream')) {
      return fail(res, 406, TRANSPORT_ERROR, 'Not Acceptable: the client must accept both application/json and text/event-stream');
    }
    const parsed = await this.readMessages(req, res);
    if (!parsed) return;
    const { messages, batch } = parsed;
    const revision = classifyRevision(batch ? messages : messages[0], req.headers);
    if (revision.kind !== 'legacy') return this.postStateless(req, res, revision, messages[0], principal);
    const initialize = messages.some((m) => (m as { method?: string }).method === 'initialize');
    const sessionId = header(req, 'mcp-session-id');
    const cors = corsHeaders(req, this.guards);
    // An error about the whole POST answers a single request by its id (a batch or a notification: null).
    const id = !batch && 'id' in messages[0] && messages[0].id !== undefined ? (messages[0].id as string | number) : null;
    if (initialize) {
      if (batch && messages.length > 1) return fail(res, 400, -32600, 'Invalid Request: initialize must not be batched');
      if (sessionId !== undefined) return fail(res, 400, -32600, 'Invalid Request: initialize starts a new session; send it without Mcp-Session-Id', id);
      let session;
      try {
        session = await this.registry.openStreamable(clientOf(req.socket.remoteAddress), principal);
      } catch (error) {
        if (!(error instanceof TooManySessions)) throw error;
        res.setHeader('Retry-After', '30');
        return fail(res, 503, TRANSPORT_ERROR, `Service unavailable: the server holds its maximum of ${this.options.maxSessions} sessions`, id);
      }
      return session.handlePost(res, messages, batch, { headers: req.headers }, cors);
    }
    const session = await this.sessionFor(req, res, sessionId, principal, id);
    if (!session) return;
    session.handlePost(res, messages, batch, { headers: req.headers }, cors);
  }

  /**
   * A 2026-07-28 message: no session. Rejected at the edge (v2's classifier, then the routing
   * headers), or served by the stateless endpoint: JSON, or SSE once the request sends a
   * notification (progress, log) before its answer.
   */
  private async postStateless(
    req: IncomingMessage,
    res: ServerResponse,
    revision: ModernRequest | { kind: 'reject'; httpStatus: number; code: number; message: string; data?: unknown },
    first: JSONRPCMessage,
    principal: Principal,
  ): Promise<void> {
    const readableId = (first as { id?: unknown }).id;
    const id = typeof readableId === 'string' || typeof readableId === 'number' ? readableId : null;
    if (revision.kind === 'reject') return fail(res, revision.httpStatus, revision.code, revision.message, id, revision.data);
    const headerProblem = checkRoutingHeaders(revision.message, req.headers, this.paramHeaders);
    if (headerProblem) return fail(res, headerProblem.httpStatus, headerProblem.code, headerProblem.message, id, headerProblem.data);
    const cors = corsHeaders(req, this.guards);
    if (revision.messageKind === 'notification') {
      res.writeHead(202, cors).end();
      return;
    }
    if (revision.message.method === 'subscriptions/listen') return this.openListenStream(res, revision, cors, principal);
    const endpoint = (this.stateless ??= statelessEndpoint(this.deps));
    const request = {
      message: revision.message as JSONRPCRequest,
      protocolVersion: revision.protocolVersion,
      clientCapabilities: revision.clientCapabilities,
      ...(revision.logLevel !== undefined ? { logLevel: revision.logLevel } : {}),
      ...(revision.trace ? { trace: revision.trace } : {}),
      principal: principal.id,
      ...(principal !== ANONYMOUS ? { caller: principal } : {}),
      // undefined, not {}: tracing off spreads nothing and allocates nothing.
      ...(this.deps.tracer?.enabled ? { transport: 'http' as const, header: traceHeaders(req) } : undefined),
    };
    let stream: SseStream | undefined;
    const streamable = this.options.responseMode !== 'json';
    // No AbortController per request: the handler's signal is made only if it reads one (ADR 006).
    let goneListener: (() => void) | undefined;
    const reply = {
      gone: false,
      onGone: (listener: () => void) => void (goneListener = listener),
      notify: async (message: { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> }) => {
        if (!streamable || reply.gone) return;
        stream ??= new SseStream(res, { keepaliveMs: this.options.keepaliveMs, retryMs: this.options.retryMs, headers: cors });
        await stream.send(message);
      },
    };
    res.on('close', () => {
      if (res.writableFinished) return;
      reply.gone = true;
      goneListener?.();
    });
    const answer = await endpoint.serve(request, reply);
    if (stream) {
      await stream.send(answer.message);
      stream.end();
      answer.settle();
      return;
    }
    if (reply.gone) return answer.settle();
    res.once('close', answer.settle);
    res.writeHead(answer.httpStatus, { ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify(answer.message));
  }

  /**
   * subscriptions/listen: an SSE response held open (whatever the response mode: the spec makes the
   * listen answer a stream) until the client leaves or the server closes. Refusals answer JSON.
   */
  private openListenStream(res: ServerResponse, revision: ModernRequest, cors: Record<string, string>, principal: Principal): void {
    if (res.destroyed) return;
    const message = revision.message as JSONRPCRequest;
    let stream: SseStream | undefined;
    const sink: ListenSink = {
      send: (frame) => {
        stream ??= new SseStream(res, { keepaliveMs: this.options.keepaliveMs, retryMs: this.options.retryMs, headers: cors });
        if (res.writableLength > MAX_LISTEN_BACKLOG_BYTES) return stream.end();
        void stream.send(frame);
      },
      end: () => stream?.end(),
    };
    const hub = (this.listens ??= subscriptionHub(this.deps));
    const outcome = hub.open({ id: message.id, params: message.params, principal: principal.id, clientCapabilities: revision.clientCapabilities }, sink);
    if (outcome.refused) {
      if (outcome.httpStatus === 503) res.setHeader('Retry-After', '30');
      return fail(res, outcome.httpStatus, outcome.error.code, outcome.error.message, message.id, outcome.error.data);
    }
    stream?.onClose(() => outcome.close());
  }

  private async get(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    if (!accepts(req, 'text/event-stream')) return fail(res, 406, TRANSPORT_ERROR, 'Not Acceptable: the client must accept text/event-stream');
    const session = await this.sessionFor(req, res, header(req, 'mcp-session-id'), principal);
    if (!session) return;
    await session.handleGet(res, header(req, 'last-event-id'), corsHeaders(req, this.guards));
  }

  private async delete(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const session = await this.sessionFor(req, res, header(req, 'mcp-session-id'), principal);
    if (!session) return;
    await this.registry.close(session.sessionId, 'deleted by the client');
    res.writeHead(200, corsHeaders(req, this.guards)).end();
  }

  private async legacyOpen(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    if (!accepts(req, 'text/event-stream')) return fail(res, 406, TRANSPORT_ERROR, 'Not Acceptable: the client must accept text/event-stream');
    try {
      await this.registry.openLegacy(res, '/messages', clientOf(req.socket.remoteAddress), principal);
    } catch (error) {
      if (!(error instanceof TooManySessions)) throw error;
      res.setHeader('Retry-After', '30');
      fail(res, 503, TRANSPORT_ERROR, `Service unavailable: the server holds its maximum of ${this.options.maxSessions} sessions`);
    }
  }

  private async legacyPost(req: IncomingMessage, res: ServerResponse, url: URL, principal: Principal): Promise<void> {
    const id = url.searchParams.get('sessionId') ?? '';
    const session = this.registry.legacy(id, principal);
    if (!session) return fail(res, 404, TRANSPORT_ERROR, 'Session not found: open a stream with GET /sse first');
    const parsed = await this.readMessages(req, res);
    if (parsed) session.handlePost(res, parsed.messages, { headers: req.headers });
  }

  /** Content type, size, JSON and JSON-RPC shape; answers the error itself and returns undefined. */
  private async readMessages(req: IncomingMessage, res: ServerResponse): Promise<{ messages: JSONRPCMessage[]; batch: boolean } | undefined> {
    if (!isJsonContentType(req)) {
      fail(res, 415, TRANSPORT_ERROR, 'Unsupported Media Type: Content-Type must be application/json');
      return undefined;
    }
    let body: string;
    try {
      body = await readBody(req, this.options.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      res.setHeader('Connection', 'close');
      fail(res, 413, TRANSPORT_ERROR, `Payload Too Large: the body exceeds ${this.options.maxBodyBytes} bytes (server.http.max_body_bytes)`);
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      fail(res, 400, -32700, 'Parse error: the body is not valid JSON');
      return undefined;
    }
    const batch = Array.isArray(value);
    const frames = batch ? (value as unknown[]) : [value];
    if (frames.length === 0) {
      fail(res, 400, -32600, 'Invalid Request: empty batch');
      return undefined;
    }
    const messages: JSONRPCMessage[] = [];
    for (const frame of frames) {
      const verdict = classifyFrame(frame);
      if (!verdict.ok) {
        fail(res, 400, verdict.code, verdict.message, verdict.id);
        return undefined;
      }
      messages.push(verdict.message);
    }
    return { messages, batch };
  }

  /**
   * The request's session, or an error answered here (`id`: the request's, when one request was
   * read). Another principal's session is "not found", word for word as an unknown id.
   */
  private async sessionFor(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined, principal: Principal, id: string | number | null = null) {
    if (sessionId === undefined) {
      fail(res, 400, TRANSPORT_ERROR, 'Bad Request: Mcp-Session-Id header is required (send initialize first to get one)', id);
      return undefined;
    }
    let session;
    try {
      session = await this.registry.streamable(sessionId, principal);
    } catch (error) {
      if (!(error instanceof SessionStoreUnavailable)) throw error;
      res.setHeader('Retry-After', '1');
      fail(res, 503, TRANSPORT_ERROR, 'Service unavailable: the session store did not answer; retry shortly', id);
      return undefined;
    }
    if (!session) {
      fail(res, 404, TRANSPORT_ERROR, 'Session not found: it ended or never existed; start a new one with initialize', id);
      return undefined;
    }
    const version = header(req, 'mcp-protocol-version');
    if (version !== undefined && !this.deps.settings.supportedProtocolVersions.includes(version)) {
      const supported = this.deps.settings.supportedProtocolVersions.join(', ');
      fail(res, 400, TRANSPORT_ERROR, `Bad Request: unsupported MCP-Protocol-Version "${version.slice(0, 40)}" (supported: ${supported})`, id);
      return undefined;
    }
    return session;
  }

  private async health(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, TRANSPORT_ERROR, 'Method not allowed');
    const report = await this.deps.queries.execute(new GetHealthQuery());
    // Liveness is the process answering; readiness is every configured adapter answering.
    const status = path === '/health' ? 200 : report.status === 'down' ? 503 : 200;
    const body = path === '/health' ? { ...report, live: true } : { ...report, ready: status === 200, ...(this.auth ? this.auth.describe() : {}) };
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
  }

  private guardsFor(port: number): GuardOptions {
    const extra = this.options.allowedHosts;
    return {
      allowedHosts: this.options.loopback ? loopbackHosts(port, extra) : new Set(extra.map((h) => h.toLowerCase())),
      allowedOrigins: new Set(this.options.allowedOrigins),
    };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function fail(res: ServerResponse, status: number, code: number, message: string, id: string | number | null = null, data?: unknown): void {
  const error = data === undefined ? { code, message } : { code, message, data };
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, error }));
}

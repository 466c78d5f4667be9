import type { Tracer } from '../../../application/ports/tracer.js';
import { NO_METRICS, outcomeOfErrorCode, type Metrics } from '../../../application/ports/metrics.js';
import { randomBytes } from 'node:crypto';
import {
  ProtocolError,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  type ClientCapabilities,
  type JSONRPCRequest,
  type LoggingLevel,
  type RequestId,
  type ServerCapabilities,
} from '@modelcontextprotocol/server';
import { z, type ZodType } from 'zod';
import { ApplicationError } from '../../../application/application.errors.js';
import type { RequestOrigin, TraceContext } from '../../../application/origin.js';
import { ClientAnswerPending } from '../../../application/ports/client-requests.js';
import { requestStateBinding, type RequestStateSealer } from '../../../application/ports/request-state.js';
import type { TaskHandles } from '../../../application/tools/execute-tool.command.js';
import type { Principal } from '../../../domain/auth/principal.js';
import type { ToolContext } from '../../../application/tools/tool-definition.js';
import { LogLevel } from '../../../domain/session/log-level.js';
import { catalogHandlers, type CallSite, type CatalogHandler } from '../catalog.handlers.js';
import { declaresTasksExtension } from '../task-wire.js';
import { RPC, toMcpError } from '../error-mapping.js';
import { describeIssues } from '../route.js';
import type { McpDependencies } from '../session-channel.js';
import { RequestToolContext, type RequestIo, type ToolAudience } from '../tool-context.js';
import { InputRounds } from './input-rounds.js';

/** A 2026-07-28 request after the edge checks: the message and what its `_meta` envelope declared. */
export interface StatelessRequest {
  readonly message: JSONRPCRequest;
  readonly protocolVersion: string;
  readonly clientCapabilities: ClientCapabilities;
  readonly logLevel?: LoggingLevel;
  readonly trace?: TraceContext;
  /** Where it came from, for its span (tracing on): stdio unless the HTTP server says http. */
  readonly transport?: 'stdio' | 'http';
  /** The HTTP `traceparent`/`tracestate` headers, passed only when tracing is on (`_meta`'s `trace` wins). */
  readonly header?: { readonly traceparent?: string; readonly tracestate?: string };
  /** The authenticated subject's id; `anonymous` without authentication. */
  readonly principal: string;
  /** The authenticated caller (id = `principal`) with its grants; absent: the anonymous caller. */
  readonly caller?: Principal;
}

/** Where a stateless request's notifications (progress, logs) go while it runs: its own response stream. */
export interface StatelessReply {
  notify(message: { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> }): Promise<void>;
  /** The client went away before the answer (the request counts as cancelled). */
  readonly gone: boolean;
  /** Called once if the client goes away; read only when a handler asks for its signal. */
  onGone(listener: () => void): void;
}

export interface StatelessAnswer {
  readonly message: { jsonrpc: '2.0'; id: RequestId; result: Record<string, unknown> } | { jsonrpc: '2.0'; id: RequestId; error: { code: number; message: string; data?: unknown } };
  /** The HTTP status for this answer (404 for an unknown method, 400 for what the spec says is a bad request). */
  readonly httpStatus: number;
  /** Call once the answer has left (or was dropped): runs what the handler deferred until then. */
  readonly settle: () => void;
}

/** A route of the stateless table; `site` is the request as the catalog handlers see it. */
export interface StatelessRoute {
  readonly params: ZodType<unknown>;
  run(params: unknown, call: StatelessCall): Promise<Record<string, unknown>>;
}

export interface StatelessOptions {
  readonly capabilities: ServerCapabilities;
  readonly supportedVersions: readonly string[];
  readonly requestState?: RequestStateSealer;
  /** Extra routes (tasks/*), by method. */
  readonly routes?: ReadonlyMap<string, StatelessRoute>;
  /** The tasks extension is served: task-supporting tools may answer with a task where the request declared it. */
  readonly tasks?: boolean;
  /** Cache hints per cacheable method (SEP-2549); each answer of those methods carries one. */
  readonly cacheHints: Readonly<Record<string, { ttlMs: number; cacheScope: 'public' | 'private' }>>;
}

/** Errors the 2026-07-28 HTTP binding answers with 400 rather than 200. */
const BAD_REQUEST_CODES = new Set<number>([RPC.MissingClientCapability, -32022, -32020]);
const CACHEABLE = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read', 'server/discover']);
/** Results of these may be `input_required` (SEP-2322). */
const MULTI_ROUND = new Set(['tools/call', 'prompts/get', 'resources/read']);

const boot = randomBytes(6).toString('hex');
let sequence = 0;

/**
 * Serves the 2026-07-28 revision: one request, no session, everything the client declared in its
 * `_meta` envelope (ADR 009). The same catalog handlers as the session path do the work; this adds
 * the revision's result contract — `resultType`, cache hints on cacheable results, the server's
 * identity in `_meta` — multi-round input (InputRequiredResult + a signed requestState), SEP-2164
 * not-found errors and the binding's HTTP statuses. Built once per server; holds no per-request state.
 */
export class StatelessEndpoint {
  private readonly routes = new Map<string, StatelessRoute>();
  private readonly serverInfo: { name: string; version: string };
  private readonly metrics: Metrics;
  /** Set only when tracing is on. */
  private readonly tracer: Tracer | undefined;

  constructor(
    private readonly deps: McpDependencies,
    private readonly options: StatelessOptions,
  ) {
    this.serverInfo = { name: deps.settings.name, version: deps.settings.version };
    this.metrics = deps.metrics ?? NO_METRICS;
    this.tracer = deps.tracer?.enabled ? deps.tracer : undefined;
    for (const [method, handler] of catalogHandlers(deps)) this.routes.set(method, catalogRoute(handler));
    this.routes.set('server/discover', {
      params: anyParams,
      run: async () => ({
        supportedVersions: [...options.supportedVersions],
        capabilities: options.capabilities,
        ...(deps.instructions ? { instructions: deps.instructions } : {}),
      }),
    });
    for (const [method, route] of options.routes ?? []) this.routes.set(method, route);
  }

  has(method: string): boolean {
    return this.routes.has(method);
  }

  /** With tracing on, the request runs in its SERVER span; off, this is one call more and nothing else. */
  serve(request: StatelessRequest, reply: StatelessReply): Promise<StatelessAnswer> {
    const tracer = this.tracer;
    if (tracer === undefined) return this.answer(request, reply);
    const { message } = request;
    const name = (message.params as { name?: unknown } | undefined)?.name;
    const info = {
      method: message.method,
      transport: request.transport ?? 'stdio',
      ...(request.trace ? { meta: request.trace } : {}),
      ...(request.header ? { header: request.header } : {}),
      ...(message.method === 'tools/call' && typeof name === 'string' ? { toolName: name } : {}),
      protocolVersion: request.protocolVersion,
    };
    return tracer.request(info, () => this.answer(request, reply));
  }

  private async answer(request: StatelessRequest, reply: StatelessReply): Promise<StatelessAnswer> {
    const { message } = request;
    const id = message.id;
    const started = this.metrics.requestStarted();
    const route = this.routes.get(message.method);
    if (!route) {
      this.metrics.requestEnded(started, message.method, 'modern', 'client_error');
      return failure(id, ProtocolErrorCode.MethodNotFound, `Method not found: ${message.method.slice(0, 100)}`, undefined, 404);
    }
    const call = new StatelessCall(this.deps, request, reply, this.options.tasks === true);
    const settle = () => call.answered();
    try {
      const parsed = route.params.safeParse(message.params ?? {});
      if (!parsed.success) throw new ProtocolError(RPC.InvalidParams, `Invalid params for ${message.method}: ${describeIssues(parsed.error.issues)}`);
      await call.openState(this.options.requestState, message);
      let result: Record<string, unknown>;
      try {
        result = await route.run(parsed.data, call);
      } catch (error) {
        if (!(error instanceof ClientAnswerPending) || !call.inputPending || !MULTI_ROUND.has(message.method)) throw error;
        result = await call.inputRequired(this.options.requestState, message);
      }
      this.metrics.requestEnded(started, message.method, 'modern', reply.gone ? 'cancelled' : 'ok');
      return { message: { jsonrpc: '2.0', id, result: this.stamp(message.method, result) }, httpStatus: 200, settle };
    } catch (error) {
      // An unforeseen failure is logged with the request's trace, so the line joins the client's trace.
      const logger = request.trace ? this.deps.logger.child({ traceparent: request.trace.traceparent }) : this.deps.logger;
      const mapped = toMcpError(error, logger, message.method, this.deps.errorCodes);
      // SEP-2164: an unknown resource is -32602 on this revision, with the URI in data.
      const code = mapped.code === RPC.ResourceNotFound ? RPC.InvalidParams : mapped.code;
      this.metrics.requestEnded(started, message.method, 'modern', reply.gone ? 'cancelled' : outcomeOfErrorCode(code));
      return { ...failure(id, code, mapped.message, mapped.data, BAD_REQUEST_CODES.has(code) ? 400 : 200), settle };
    }
  }

  /** The revision's result contract: resultType, cache hints, and who answered. */
  private stamp(method: string, result: Record<string, unknown>): Record<string, unknown> {
    const stamped: Record<string, unknown> = result['resultType'] === undefined ? { ...result, resultType: 'complete' } : { ...result };
    if (stamped['resultType'] === 'complete' && CACHEABLE.has(method)) {
      const hint = this.options.cacheHints[method] ?? { ttlMs: 0, cacheScope: 'private' };
      if (stamped['ttlMs'] === undefined) stamped['ttlMs'] = hint.ttlMs;
      if (stamped['cacheScope'] === undefined) stamped['cacheScope'] = hint.cacheScope;
    }
    const meta = stamped['_meta'];
    stamped['_meta'] = meta !== null && typeof meta === 'object' ? { ...meta, [SERVER_INFO_META_KEY]: this.serverInfo } : { [SERVER_INFO_META_KEY]: this.serverInfo };
    return stamped;
  }
}

/** server/discover takes no params of its own; `_meta` was checked at the edge. */
const anyParams: ZodType<unknown> = z.unknown();

function catalogRoute(handler: CatalogHandler<unknown>): StatelessRoute {
  return { params: handler.params, run: (params, call) => handler.run(params, call) };
}

const nothing = () => {};

function failure(id: RequestId, code: number, message: string, data: unknown, httpStatus: number): StatelessAnswer {
  return { message: { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } }, httpStatus, settle: nothing };
}

/**
 * One stateless request while it runs: the CallSite the catalog handlers need, the RequestIo a
 * tool context needs, and the input rounds of SEP-2322.
 */
export class StatelessCall implements CallSite, RequestIo {
  readonly origin: RequestOrigin;
  /** Made when the request first talks to its client (most never do). */
  private roundsOf?: InputRounds;
  private controller?: AbortController;
  private after?: (() => void)[];
  private earlier: Record<string, unknown> = {};

  constructor(
    private readonly deps: McpDependencies,
    readonly request: StatelessRequest,
    private readonly reply: StatelessReply,
    private readonly tasksServed = false,
  ) {
    sequence += 1;
    this.origin = {
      principal: request.principal,
      requestId: `${boot}-${sequence}`,
      protocolVersion: request.protocolVersion,
      ...(request.trace ? { trace: request.trace } : {}),
      ...(request.caller ? { caller: request.caller } : {}),
    };
  }

  get rounds(): InputRounds {
    return (this.roundsOf ??= new InputRounds(this.request.clientCapabilities, this.responses()));
  }

  /** This run asked the client for something it has not answered yet. */
  get inputPending(): boolean {
    return this.roundsOf?.pending === true;
  }

  /** Answers given in this round, over the ones carried from earlier rounds in requestState. */
  private responses(): Record<string, unknown> {
    const given = (this.request.message.params as { inputResponses?: unknown } | undefined)?.inputResponses;
    return given !== null && typeof given === 'object' && !Array.isArray(given) ? { ...this.earlier, ...(given as Record<string, unknown>) } : { ...this.earlier };
  }

  /** A requestState from an earlier round: verified, and its answers made available to this run. */
  async openState(sealer: RequestStateSealer | undefined, message: JSONRPCRequest): Promise<void> {
    const state = (message.params as { requestState?: unknown } | undefined)?.requestState;
    if (state === undefined) return;
    if (typeof state !== 'string' || sealer === undefined) throw new ApplicationError('request_state.invalid', 'requestState is not one this server issued');
    const payload = await sealer.open(state, this.binding(message));
    const answers = payload['answers'];
    this.earlier = answers !== null && typeof answers === 'object' ? (answers as Record<string, unknown>) : {};
  }

  /** The InputRequiredResult for what this run asked, with the answers so far sealed into requestState. */
  async inputRequired(sealer: RequestStateSealer | undefined, message: JSONRPCRequest): Promise<Record<string, unknown>> {
    if (!sealer) throw new ProtocolError(RPC.InternalError, 'multi-round requests are not available: no requestState key');
    const requestState = await sealer.seal({ answers: { ...this.earlier, ...this.rounds.used } }, this.binding(message));
    return { resultType: 'input_required', inputRequests: this.rounds.asked, requestState };
  }

  private binding(message: JSONRPCRequest): string {
    const params = message.params as { name?: unknown; uri?: unknown } | undefined;
    const name = typeof params?.name === 'string' ? params.name : typeof params?.uri === 'string' ? params.uri : undefined;
    return requestStateBinding({ method: message.method, principal: this.request.principal, ...(name !== undefined ? { name } : {}) });
  }

  // CallSite
  /** Read once per tools/call: whether this request could hold a task handle. */
  get tasks(): TaskHandles | undefined {
    return this.tasksServed ? { declared: declaresTasksExtension(this.request.clientCapabilities) } : undefined;
  }

  toolContext(tool: string): ToolContext {
    const audience: ToolAudience = {
      scopeKey: `request:${this.origin.requestId}`,
      logger: this.deps.logger,
      // No notifications/message unless the request asked for a level (2026-07-28: _meta logLevel).
      logging: this.deps.features.logging && this.request.logLevel !== undefined,
      logLevel: LogLevel.of(this.request.logLevel ?? 'emergency'),
    };
    return new RequestToolContext(audience, tool, this, () => this.rounds.client());
  }

  client() {
    return this.rounds.client();
  }

  // RequestIo
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController());
      const gone = () => controller.abort(new Error('the client closed the request'));
      if (this.reply.gone) gone();
      else this.reply.onGone(gone);
    }
    return this.controller.signal;
  }

  get cancelled(): boolean {
    return this.reply.gone || this.controller?.signal.aborted === true;
  }

  get _meta(): Record<string, unknown> | undefined {
    return (this.request.message.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  }

  get closeSSEStream(): undefined {
    return undefined;
  }

  async sendNotification(notification: { method: string; params?: Record<string, unknown> }): Promise<void> {
    if (this.cancelled) return;
    await this.reply.notify(notification.params === undefined ? { jsonrpc: '2.0', method: notification.method } : { jsonrpc: '2.0', method: notification.method, params: notification.params });
  }

  afterAnswer(task: () => void): void {
    (this.after ??= []).push(task);
  }

  answered(): void {
    const tasks = this.after;
    this.after = undefined;
    if (tasks) for (const task of tasks) task();
  }
}

import type { ClientCapabilities, JSONRPCMessage, ServerCapabilities } from '@modelcontextprotocol/server';
import { CloseSessionCommand } from '../../application/session/close-session.command.js';
import { OpenSessionCommand } from '../../application/session/open-session.command.js';
import type { Principal } from '../../domain/auth/principal.js';
import { LogLevel } from '../../domain/session/log-level.js';
import type { SessionSnapshot } from '../../domain/session/session.js';
import type { TransportKind } from '../../domain/session/session-state.js';
import { serverCapabilities } from './capabilities.js';
import { registerCatalogRoutes } from './catalog.routes.js';
import { ClientRootsCache } from './client-roots-cache.js';
import { registerLifecycleRoutes } from './lifecycle.routes.js';
import { RequestDispatcher } from './request-dispatcher.js';
import { RequestGate } from './request-gate.js';
import type { Transport } from '../transports/transport.js';
import type { McpDependencies, SessionChannel } from './session-channel.js';

export type { McpDependencies, McpFeatures } from './session-channel.js';

/**
 * One MCP session (2025 revisions): one transport, one dispatcher and one Session aggregate. Never
 * shared between clients. On stdio it exists only once the first message pinned the connection to
 * the 2025 revisions (StdioConnection). `onEnded` fires once the transport has closed (client gone,
 * `shutdown`, or the owner closed it).
 */
export class McpConnection implements SessionChannel {
  readonly capabilities: ServerCapabilities;
  /** What the client declared at initialize (or in the adopted session's snapshot). */
  clientCapabilities: ClientCapabilities = {};
  readonly gate = new RequestGate();
  readonly dispatcher: RequestDispatcher;
  readonly subscriptions = new Map<string, () => void>();
  readonly clientRoots = new ClientRootsCache();
  /** Initialization completed: sessions that never get here are expired early (HTTP). */
  ready = false;
  /** Requests wait on this while initialize (and a notifications/initialized after it) runs. */
  initializing?: Promise<void>;
  private initializeSettledNow?: () => void;
  private initializeBarrier?: Promise<void>;
  sessionId = '';
  /** Threshold for notifications/message to this client; mirrors the Session's log level. */
  clientLogLevel: LogLevel;
  private closed = false;
  private closeReason = 'transport closed';
  private stopToolWatch?: () => void;

  constructor(
    readonly deps: McpDependencies,
    readonly transportKind: TransportKind,
    private readonly onEnded: (reason: string) => void = () => {},
  ) {
    this.clientLogLevel = LogLevel.of(deps.settings.defaultClientLogLevel);
    this.capabilities = serverCapabilities(deps.features);
    this.dispatcher = new RequestDispatcher(
      (error) => deps.logger.warn('protocol error', { sessionId: this.sessionId, error: error.message }),
      deps.metrics,
      deps.tracer?.enabled ? { tracer: deps.tracer, transport: transportKind } : undefined,
    );
    registerLifecycleRoutes(this);
    registerCatalogRoutes(this);
  }

  /** Opens the Session, owned by `principal` (absent: the anonymous caller of a listener without auth). */
  async connect(transport: Transport, principal?: Principal): Promise<void> {
    ({ sessionId: this.sessionId } = await this.deps.commands.execute(new OpenSessionCommand(this.transportKind, transport.sessionId, principal)));
    await this.dispatcher.attach(transport, this.observe, this.transportClosed);
    this.watchToolList();
  }

  /** The capabilities say tools.listChanged: an initialized client hears of a tool added at runtime. */
  private watchToolList(): void {
    this.stopToolWatch = this.deps.toolChanges?.(() => {
      if (this.ready && !this.closed) void this.dispatcher.notify('notifications/tools/list_changed', undefined).catch(() => undefined);
    });
  }

  private stopWatching(): void {
    this.stopToolWatch?.();
    this.stopToolWatch = undefined;
    for (const stop of this.subscriptions.values()) stop();
    this.subscriptions.clear();
  }

  private readonly transportClosed = (): void => {
    void this.close('transport closed').then(() => this.onEnded(this.closeReason));
  };

  /** Closes the transport; the session ends as for any closed transport. */
  closeTransport(): Promise<void> {
    return this.dispatcher.closeTransport();
  }

  /**
   * A client that does not wait for the initialize response sends notifications/initialized (and
   * requests) while initialize is still running. The marker is set as the initialize frame
   * arrives; lifecycle routes and every other route wait on it.
   */
  private readonly observe = (message: JSONRPCMessage): void => {
    if (!this.initializing && 'method' in message && message.method === 'initialize' && 'id' in message) {
      this.initializing = new Promise<void>((resolve) => (this.initializeSettledNow = resolve));
      this.initializeBarrier = this.initializing;
    }
  };

  /**
   * Runs `task` after whatever requests are waiting on now (initialize), and makes requests that
   * arrive from here on wait for it too: a lifecycle notification takes effect in arrival order.
   */
  inOrder(task: () => Promise<void>): void {
    const before = this.initializing;
    const mine: Promise<void> = (before ? before.then(task) : task()).catch((error: unknown) =>
      this.deps.logger.warn('lifecycle notification failed', { sessionId: this.sessionId, error: String(error) }),
    );
    this.initializing = mine;
    void mine.finally(() => {
      if (this.initializing === mine) this.initializing = undefined;
    });
  }

  /**
   * Serves an existing session (created by another replica, or by this one before a restart) whose
   * state lives in the shared repository: no new session; what the client declared at initialize
   * and the negotiated protocol version carry over.
   */
  async adopt(transport: Transport, snapshot: SessionSnapshot): Promise<void> {
    this.sessionId = snapshot.id;
    this.ready = snapshot.state === 'READY';
    this.clientLogLevel = LogLevel.of(snapshot.logLevel);
    this.clientCapabilities = (snapshot.clientCapabilities ?? {}) as ClientCapabilities;
    await this.dispatcher.attach(transport, this.observe, this.transportClosed);
    this.watchToolList();
    if (snapshot.protocolVersion !== undefined) transport.setProtocolVersion?.(snapshot.protocolVersion);
  }

  initializeSettled(): void {
    this.initializeSettledNow?.();
    this.initializeSettledNow = undefined;
    // Something queued behind initialize (inOrder) keeps requests waiting until it is done.
    if (this.initializing === this.initializeBarrier) this.initializing = undefined;
    this.initializeBarrier = undefined;
  }

  /**
   * Lets go of the session without ending it: its state lives in a shared repository and another
   * process (a replica, or this server after a restart) will serve it.
   */
  detach(): void {
    this.closed = true;
    this.stopWatching();
  }

  /** Drives the Session to CLOSED once, whatever ended it. */
  async close(reason: string): Promise<void> {
    if (this.closed || this.sessionId === '') return;
    this.closed = true;
    this.closeReason = reason;
    this.stopWatching();
    try {
      await this.deps.commands.execute(new CloseSessionCommand(this.sessionId, reason));
    } catch (error) {
      this.deps.logger.warn('closing the session failed', { sessionId: this.sessionId, error: String(error) });
    }
  }
}

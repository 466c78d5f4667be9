import { PROTOCOL_VERSION_META_KEY, ProtocolErrorCode, type JSONRPCMessage, type JSONRPCRequest } from '@modelcontextprotocol/server';
import { ANONYMOUS, type Principal } from '../../domain/auth/principal.js';
import type { MessageInfo, Transport } from '../transports/transport.js';
import { McpConnection, type McpDependencies } from './mcp-connection.js';
import { classifyBody, hasRevisionClaim, MODERN_REVISIONS, type ClaimRejection, type ModernRequest } from './stateless/revision-claim.js';
import { StatelessConnection } from './stateless/stateless-connection.js';
import { statelessEndpoint, subscriptionHub } from './stateless/stateless-server.js';

/** What the first messages of a stdio connection decide (v2 `serveStdio`'s opening rules). */
export type OpeningVerdict =
  /** A response before any era: dropped. */
  | { readonly kind: 'ignore' }
  /** `initialize`, or any message without a claim: the 2025 revisions, on a Session. */
  | { readonly kind: 'session' }
  /** A broken or unserved claim: answered (requests), the era still open. */
  | ClaimRejection
  /** `server/discover` with a valid claim: answered statelessly, the era still open. */
  | { readonly kind: 'probe'; readonly request: ModernRequest }
  /** Any other message with a valid claim: 2026-07-28 for the rest of the connection. */
  | { readonly kind: 'stateless'; readonly request: ModernRequest };

const IGNORE = { kind: 'ignore' } as const;
const SESSION = { kind: 'session' } as const;

/**
 * The pinning decision for one message while the era is open. A 2025 `initialize` has no claim and
 * never reaches v2's (zod) classifier. Like v2, a `server/discover` probe does not pin, so a
 * dual-era client may still fall back to `initialize` after it.
 */
export function openingEra(message: JSONRPCMessage, supported: readonly string[] = MODERN_REVISIONS): OpeningVerdict {
  if (!('method' in message)) return IGNORE;
  const verdict = classifyBody(message, supported);
  if (verdict.kind === 'legacy') return SESSION;
  if (verdict.kind === 'reject') return verdict;
  return verdict.messageKind === 'request' && verdict.message.method === 'server/discover' ? { kind: 'probe', request: verdict } : { kind: 'stateless', request: verdict };
}

/** The stdio transport as the pinning needs it: it can hold input while a session opens. */
export interface HoldingTransport extends Transport {
  hold(): void;
  release(): void;
}

/**
 * The one client of a stdio server. Its first message pins the era for the connection's life
 * (MCP 2026-07-28, Versioning: "scoped to the stdio process"): `initialize` (or any claim-less
 * message) opens a Session and hands the transport to an McpConnection, exactly the 2025 path; a
 * valid 2026-07-28 claim pins it to a StatelessConnection. The decision costs one check on the
 * opening message only; afterwards messages go straight to the pinned connection.
 *
 * One refusal v2 does not make: v2 serves a claimed request on a 2025 connection under 2025 rules;
 * here it is answered -32022 (the revision is not served on this connection), since the claim
 * asks for semantics (no session, `_meta` envelope) that connection does not give.
 */
export class StdioConnection {
  private session?: McpConnection;
  private stateless?: StatelessConnection;
  /** Set while the session opens (input held), and after: drain waits for it. */
  private opened?: Promise<void>;
  private ended = false;

  constructor(
    private readonly deps: McpDependencies,
    private readonly transport: HoldingTransport,
    private readonly onEnded: (reason: string) => void,
    /** Who is on the other end: the local user that started the process (stdio has no credentials). */
    private readonly principal: Principal = ANONYMOUS,
  ) {}

  async start(): Promise<void> {
    this.transport.onmessage = this.opening;
    this.transport.onerror = (error) => this.deps.logger.warn('protocol error', { error: error.message });
    this.transport.onclose = () => this.end('transport closed');
    await this.transport.start();
  }

  get sessionId(): string | undefined {
    return this.session?.sessionId;
  }

  private readonly opening = (message: JSONRPCMessage): void => {
    const verdict = openingEra(message);
    switch (verdict.kind) {
      case 'ignore':
        this.deps.logger.debug('stdio: a response before the connection chose its revision was dropped');
        return;
      case 'reject':
        if ('id' in message && message.id !== undefined) this.refuse(message.id, verdict.code, verdict.message, verdict.data);
        else this.deps.logger.warn('stdio: a notification with an unusable revision claim was dropped', { method: (message as { method: string }).method, reason: verdict.message });
        return;
      case 'probe':
        return this.statelessConnection().serve(verdict.request);
      case 'stateless':
        return this.pinStateless(verdict.request);
      case 'session':
        return this.pinSession(message);
    }
  };

  private pinStateless(request: ModernRequest): void {
    const stateless = this.statelessConnection();
    this.transport.onmessage = stateless.receive;
    this.deps.logger.info('stdio connection pinned', { protocolVersion: request.protocolVersion, session: false });
    if (request.messageKind === 'request') stateless.serve(request);
    else stateless.notified(request.message);
  }

  /** Opening a session is asynchronous: the input is held meanwhile, so nothing overtakes the first message. */
  private pinSession(first: JSONRPCMessage): void {
    this.transport.hold();
    this.transport.onmessage = undefined;
    const session = (this.session = new McpConnection(this.deps, 'stdio', (reason) => this.end(reason)));
    this.opened = session.connect(this.transport, this.principal).then(
      () => {
        this.screenClaims();
        this.deps.logger.info('stdio connection pinned', { sessionId: session.sessionId, session: true });
        this.transport.onmessage?.(first);
        this.transport.release();
      },
      (error: unknown) => {
        this.deps.logger.error('stdio: the session could not be opened', { error: String(error) });
        if ('id' in first && first.id !== undefined) this.refuse(first.id, ProtocolErrorCode.InternalError, 'Internal error: the session could not be opened');
        void this.transport.close();
      },
    );
  }

  /**
   * On the session's transport, a request claiming 2026-07-28 is answered here and never reaches
   * the session: one property test per message.
   */
  private screenClaims(): void {
    const serve = this.transport.onmessage;
    if (!serve) return;
    this.transport.onmessage = (message: JSONRPCMessage, info?: MessageInfo) => {
      if (hasRevisionClaim(message) && 'id' in message && 'method' in message) this.refuseClaim(message as JSONRPCRequest, serve);
      else serve(message, info);
    };
  }

  private refuseClaim(message: JSONRPCRequest, serve: (message: JSONRPCMessage) => void): void {
    const verdict = classifyBody(message);
    // An initialize whose claim is not a valid 2026 envelope is a 2025 initialize (v2's precedence rule).
    if (verdict.kind === 'legacy') return serve(message);
    if (verdict.kind === 'reject' && verdict.code === ProtocolErrorCode.InvalidParams) return this.refuse(message.id, verdict.code, verdict.message, verdict.data);
    const claimed = (message.params?._meta as Record<string, unknown>)[PROTOCOL_VERSION_META_KEY];
    const requested = typeof claimed === 'string' ? claimed.slice(0, 100) : 'unknown';
    const supported = [...this.deps.settings.supportedProtocolVersions];
    this.refuse(
      message.id,
      ProtocolErrorCode.UnsupportedProtocolVersion,
      `Unsupported protocol version: ${requested}; this connection was opened with initialize and serves the 2025 revisions (${supported.join(', ')}); a 2026-07-28 client needs a new connection`,
      { supported, requested },
    );
  }

  private statelessConnection(): StatelessConnection {
    return (this.stateless ??= new StatelessConnection(statelessEndpoint(this.deps), this.transport, this.deps.logger, MODERN_REVISIONS, () => subscriptionHub(this.deps), this.principal));
  }

  private refuse(id: JSONRPCRequest['id'], code: number, message: string, data?: unknown): void {
    const error = data === undefined ? { code, message } : { code, message, data };
    this.transport.send({ jsonrpc: '2.0', id, error }).catch((failure: unknown) => this.deps.logger.warn('stdio: an error answer could not be written', { error: String(failure) }));
  }

  /**
   * Shutdown, first step: refuses new requests and waits, bounded, for those in flight (a session
   * still opening is waited for first, so the requests it holds are counted).
   */
  async drain(timeoutMs: number): Promise<void> {
    await this.opened;
    await Promise.all([this.session?.gate.drain(timeoutMs), this.stateless?.drain(timeoutMs)]);
  }

  /** Drives the Session (if any) to CLOSED; stateless requests still running count as cancelled. */
  async close(reason: string): Promise<void> {
    this.stateless?.closeAll();
    await this.session?.close(reason);
  }

  closeTransport(): Promise<void> {
    return this.transport.close();
  }

  /** The transport closed (a session's end arrives through its McpConnection once the session closed). */
  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.stateless?.closeAll();
    this.onEnded(reason);
  }
}

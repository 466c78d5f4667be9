import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { SseReplayStore } from '../../../application/ports/sse-replay-store.js';
import type { Logger } from '../../../application/ports/logger.js';
import { McpConnection } from '../../mcp/mcp-connection.js';
import type { McpDependencies } from '../../mcp/session-channel.js';
import { GetSessionQuery } from '../../../application/session/get-session.query.js';
import { ANONYMOUS, type Principal } from '../../../domain/auth/principal.js';
import type { PrincipalSnapshot } from '../../../domain/auth/principal.js';
import type { SessionSnapshot } from '../../../domain/session/session.js';
import { DomainError } from '../../../domain/shared/domain-error.js';
import { LegacySseSession } from './legacy-sse-session.js';
import { StreamableHttpSession, type StreamableSessionOptions } from './streamable-http-session.js';

export interface RegistryOptions extends Omit<StreamableSessionOptions, 'replayStore'> {
  readonly maxSessions: number;
  readonly idleMs: number;
  /** A session that has not completed initialization is closed after this long without traffic. */
  readonly initTimeoutMs: number;
  /** Sessions one remote address may hold (loopback clients cannot be told apart: no cap). */
  readonly maxSessionsPerClient: number;
}

interface Entry {
  readonly transport: StreamableHttpSession | LegacySseSession;
  readonly connection: McpConnection;
  /** The remote address, when it tells clients apart (not loopback). */
  readonly client?: string;
  /** Who opened the session (ownerOf): only that principal is served by it. */
  readonly owner: string;
}

export class TooManySessions extends Error {}

/** The shared session repository could not answer: the session may well exist, so this is retryable, never a 404. */
export class SessionStoreUnavailable extends Error {}

const LOOPBACK_ADDRESS = /^(127\.|::1$|::ffff:127\.)/;

/** The remote address as a client identity, or undefined where every client looks the same. */
export function clientOf(remoteAddress: string | undefined): string | undefined {
  return remoteAddress === undefined || LOOPBACK_ADDRESS.test(remoteAddress) ? undefined : remoteAddress;
}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * What a session's owner is compared by: the principal's id, and its tenant when it has one (one
 * issuer's subject in two tenants is two callers).
 */
function ownerOf(principal: Principal | PrincipalSnapshot | undefined): string {
  if (principal === undefined) return ANONYMOUS.id;
  return principal.tenant === undefined ? principal.id : `${principal.id}\u0000${principal.tenant}`;
}

/**
 * Every live HTTP session: one connection and one transport each, never shared between clients.
 * Whatever ends a session (DELETE, idle expiry, a dropped legacy stream, shutdown) drives its
 * Session aggregate to CLOSED.
 */
export class HttpSessionRegistry {
  private readonly sessions = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly deps: McpDependencies,
    private readonly replayStore: SseReplayStore,
    private readonly options: RegistryOptions,
    private readonly logger: Logger,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(50, Math.min(options.idleMs / 4, options.initTimeoutMs / 2, 30_000)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The sessions held here by lifecycle state, for the sessions gauge (read at scrape time). */
  states(): { READY: number; INITIALIZING: number } {
    let ready = 0;
    for (const entry of this.sessions.values()) if (entry.connection.ready) ready += 1;
    return { READY: ready, INITIALIZING: this.sessions.size - ready };
  }

  /**
   * The session's transport here; or, when another replica (or this process before a restart)
   * opened it and the shared repository still holds it open, a new transport that adopts it.
   * A session `caller` did not open is undefined, exactly like one that does not exist: its id
   * tells another principal nothing.
   */
  async streamable(id: string, caller: Principal = ANONYMOUS): Promise<StreamableHttpSession | undefined> {
    const entry = this.sessions.get(id);
    if (entry) return entry.transport instanceof StreamableHttpSession && entry.owner === ownerOf(caller) ? entry.transport : undefined;
    if (!SESSION_ID.test(id)) return undefined;
    let snapshot: SessionSnapshot;
    try {
      snapshot = await this.deps.queries.execute(new GetSessionQuery(id));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'session.not_found') return undefined;
      this.logger.error('looking up a session in the repository failed', { sessionId: id, error: error instanceof Error ? error.message : String(error) });
      throw new SessionStoreUnavailable('the session store did not answer', { cause: error });
    }
    if (ownerOf(snapshot.principal) !== ownerOf(caller)) return undefined;
    if ((snapshot.transport !== 'http' || (snapshot.state !== 'INITIALIZING' && snapshot.state !== 'READY')) || this.sessions.has(id)) {
      return this.streamableLocal(id, caller);
    }
    if (!this.makeRoom(undefined)) return undefined;
    const transport = new StreamableHttpSession(id, { ...this.options, replayStore: this.replayStore });
    await this.track(transport, 'http', ownerOf(snapshot.principal)).adopt(transport, snapshot);
    this.logger.info('adopted a session opened elsewhere', { sessionId: id, state: snapshot.state });
    return transport;
  }

  private streamableLocal(id: string, caller: Principal): StreamableHttpSession | undefined {
    const entry = this.sessions.get(id);
    return entry?.transport instanceof StreamableHttpSession && entry.owner === ownerOf(caller) ? entry.transport : undefined;
  }

  /** The legacy session `caller` opened under this id (another principal's is undefined, as for an unknown id). */
  legacy(id: string, caller: Principal = ANONYMOUS): LegacySseSession | undefined {
    const entry = this.sessions.get(id);
    return entry?.transport instanceof LegacySseSession && entry.owner === ownerOf(caller) ? entry.transport : undefined;
  }

  /** A new session for `client` (see clientOf) owned by `principal`; makes room first, or throws TooManySessions. */
  async openStreamable(client?: string, principal: Principal = ANONYMOUS): Promise<StreamableHttpSession> {
    if (!this.makeRoom(client)) throw new TooManySessions();
    const transport = new StreamableHttpSession(randomUUID(), { ...this.options, replayStore: this.replayStore });
    await this.track(transport, 'http', ownerOf(principal), client).connect(transport, principal);
    return transport;
  }

  async openLegacy(res: ServerResponse, endpoint: string, client?: string, principal: Principal = ANONYMOUS): Promise<LegacySseSession> {
    if (!this.makeRoom(client)) throw new TooManySessions();
    const transport = new LegacySseSession(randomUUID(), res, endpoint, this.options);
    await this.track(transport, 'sse', ownerOf(principal), client).connect(transport, principal);
    return transport;
  }

  async close(id: string, reason: string): Promise<boolean> {
    const entry = this.sessions.get(id);
    if (!entry) return false;
    this.sessions.delete(id);
    await entry.connection.close(reason);
    await entry.transport.close();
    return true;
  }

  /**
   * Stops admitting requests and lets the ones in flight finish (bounded). Then either ends every
   * session, or (`endSessions: false`, when sessions live in a shared repository) only lets go of
   * them, so the next process or another replica serves them on.
   */
  async closeAll(reason: string, drainMs: number, endSessions = true): Promise<void> {
    clearInterval(this.sweeper);
    const entries = [...this.sessions.keys()];
    await Promise.all(entries.map((id) => this.sessions.get(id)?.connection.gate.drain(drainMs)));
    if (endSessions) {
      await Promise.all(entries.map((id) => this.close(id, reason)));
      return;
    }
    for (const id of entries) {
      const entry = this.sessions.get(id);
      this.sessions.delete(id);
      entry?.connection.detach();
      await entry?.transport.close();
    }
  }

  /**
   * Room for one more session: a client at its own cap gives up its least recently used session;
   * a full table gives up the least recently used session of anyone. Sessions with a request in
   * flight are never taken. False when there is nothing to take.
   */
  private makeRoom(client: string | undefined): boolean {
    if (client !== undefined) {
      const own = [...this.sessions].filter(([, entry]) => entry.client === client);
      if (own.length >= this.options.maxSessionsPerClient && !this.evictLeastRecentlyUsed(own, 'per-client session cap')) return false;
    }
    if (this.sessions.size < this.options.maxSessions) return true;
    return this.evictLeastRecentlyUsed([...this.sessions], 'session table full');
  }

  private evictLeastRecentlyUsed(entries: [string, Entry][], reason: string): boolean {
    let victim: [string, Entry] | undefined;
    for (const candidate of entries) {
      if (candidate[1].connection.gate.pending > 0) continue;
      if (!victim || candidate[1].transport.lastActivity < victim[1].transport.lastActivity) victim = candidate;
    }
    if (!victim) return false;
    const [id, { transport, client }] = victim;
    this.logger.info('evicting a session to make room', { sessionId: id, reason, idleMs: Date.now() - transport.lastActivity, client });
    void this.close(id, reason);
    return true;
  }

  /** A connection for `transport`, held until its transport closes — a dropped legacy stream, or a close from inside, ends the session too. */
  private track(transport: StreamableHttpSession | LegacySseSession, kind: 'http' | 'sse', owner: string, client?: string): McpConnection {
    const connection = new McpConnection(this.deps, kind, () => {
      if (this.sessions.get(transport.sessionId)?.connection === connection) this.sessions.delete(transport.sessionId);
    });
    this.sessions.set(transport.sessionId, client === undefined ? { transport, connection, owner } : { transport, connection, client, owner });
    return connection;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, { transport, connection }] of this.sessions) {
      const idle = now - transport.lastActivity;
      if (!connection.ready && connection.gate.pending === 0 && idle > this.options.initTimeoutMs) {
        this.logger.info('closing a session that never completed initialization', { sessionId: id, idleMs: idle });
        void this.close(id, 'initialization timeout');
      } else if (!transport.busy && idle > this.options.idleMs) {
        this.logger.info('closing idle session', { sessionId: id, idleMs: idle });
        void this.close(id, 'idle timeout');
      }
    }
  }
}

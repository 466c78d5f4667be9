import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { EventStore } from '../../../application/ports/event-store.js';
import type { Logger } from '../../../application/ports/logger.js';
import { McpConnection } from '../../mcp/mcp-connection.js';
import type { McpDependencies } from '../../mcp/session-channel.js';
import { GetSessionQuery } from '../../../application/session/get-session.query.js';
import type { SessionSnapshot } from '../../../domain/session/session.js';
import { LegacySseSession } from './legacy-sse-session.js';
import { StreamableHttpSession, type StreamableSessionOptions } from './streamable-http-session.js';

export interface RegistryOptions extends Omit<StreamableSessionOptions, 'eventStore'> {
  readonly maxSessions: number;
  readonly idleMs: number;
}

interface Entry {
  readonly transport: StreamableHttpSession | LegacySseSession;
  readonly connection: McpConnection;
}

export class TooManySessions extends Error {}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Every live HTTP session: one SDK server and one transport each, never shared between clients.
 * Whatever ends a session (DELETE, idle expiry, a dropped legacy stream, shutdown) drives its
 * Session aggregate to CLOSED.
 */
export class HttpSessionRegistry {
  private readonly sessions = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly deps: McpDependencies,
    private readonly eventStore: EventStore,
    private readonly options: RegistryOptions,
    private readonly logger: Logger,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(50, Math.min(options.idleMs / 4, 30_000)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * The session's transport here; or, when another replica (or this process before a restart)
   * opened it and the shared repository still holds it open, a new transport that adopts it.
   */
  async streamable(id: string): Promise<StreamableHttpSession | undefined> {
    const local = this.sessions.get(id)?.transport;
    if (local) return local instanceof StreamableHttpSession ? local : undefined;
    if (!SESSION_ID.test(id)) return undefined;
    let snapshot: SessionSnapshot;
    try {
      snapshot = await this.deps.queries.execute(new GetSessionQuery(id));
    } catch {
      return undefined;
    }
    if ((snapshot.transport !== 'http' || (snapshot.state !== 'INITIALIZING' && snapshot.state !== 'READY')) || this.sessions.has(id)) {
      return this.streamableLocal(id);
    }
    if (this.sessions.size >= this.options.maxSessions) return undefined;
    const transport = new StreamableHttpSession(id, { ...this.options, eventStore: this.eventStore });
    await this.track(transport, 'http').adopt(transport, snapshot);
    this.logger.info('adopted a session opened elsewhere', { sessionId: id, state: snapshot.state });
    return transport;
  }

  private streamableLocal(id: string): StreamableHttpSession | undefined {
    const transport = this.sessions.get(id)?.transport;
    return transport instanceof StreamableHttpSession ? transport : undefined;
  }

  legacy(id: string): LegacySseSession | undefined {
    const transport = this.sessions.get(id)?.transport;
    return transport instanceof LegacySseSession ? transport : undefined;
  }

  async openStreamable(): Promise<StreamableHttpSession> {
    this.assertCapacity();
    const transport = new StreamableHttpSession(randomUUID(), { ...this.options, eventStore: this.eventStore });
    await this.register(transport, 'http');
    return transport;
  }

  async openLegacy(res: ServerResponse, endpoint: string): Promise<LegacySseSession> {
    this.assertCapacity();
    const transport = new LegacySseSession(randomUUID(), res, endpoint, this.options);
    await this.register(transport, 'sse');
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

  private assertCapacity(): void {
    if (this.sessions.size >= this.options.maxSessions) throw new TooManySessions();
  }

  private async register(transport: StreamableHttpSession | LegacySseSession, kind: 'http' | 'sse'): Promise<void> {
    await this.track(transport, kind).connect(transport);
  }

  /** A connection for `transport`, held until its transport closes — a dropped legacy stream, or a close from inside, ends the session too. */
  private track(transport: StreamableHttpSession | LegacySseSession, kind: 'http' | 'sse'): McpConnection {
    const connection = new McpConnection(this.deps, kind);
    this.sessions.set(transport.sessionId, { transport, connection });
    connection.server.onclose = () => {
      this.sessions.delete(transport.sessionId);
      void connection.close('transport closed');
    };
    return connection;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, { transport }] of this.sessions) {
      if (!transport.busy && now - transport.lastActivity > this.options.idleMs) {
        this.logger.info('closing idle session', { sessionId: id, idleMs: now - transport.lastActivity });
        void this.close(id, 'idle timeout');
      }
    }
  }
}

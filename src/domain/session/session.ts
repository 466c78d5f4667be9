import { ANONYMOUS, eventActorOf, principalFromSnapshot, principalSnapshot, type Principal, type PrincipalSnapshot } from '../auth/principal.js';
import { AggregateRoot } from '../shared/aggregate-root.js';
import { domainEvent, type EventActor } from '../shared/domain-event.js';
import { DomainError } from '../shared/domain-error.js';
import type { EventMetaSource } from '../shared/event-meta-source.js';
import { ClientCapabilities, ClientInfo } from './client-info.js';
import { LogLevel } from './log-level.js';
import { ProtocolVersion } from './protocol-version.js';
import type { SessionEvent } from './session.events.js';
import type { SessionState, TransportKind } from './session-state.js';

export interface SessionSnapshot {
  readonly id: string;
  readonly transport: TransportKind;
  readonly state: SessionState;
  readonly createdAt: string;
  readonly protocolVersion?: string;
  readonly clientInfo?: { name: string; version: string; title?: string };
  readonly clientCapabilities?: Record<string, unknown>;
  readonly logLevel: string;
  readonly closeReason?: string;
  readonly closedAt?: string;
  /** Who opened the session; absent: the anonymous caller (a listener without auth). */
  readonly principal?: PrincipalSnapshot;
}

const AGGREGATE = 'session';

/**
 * One MCP connection's lifecycle:
 * CREATED → INITIALIZING (initialize) → READY (notifications/initialized) → CLOSING → CLOSED.
 * A session may close from any state (a client can vanish before it initializes). It belongs to
 * the principal that opened it: its requests run with that principal's grants, and another
 * principal presenting its id is told it does not exist (the transport compares `principal.id`).
 */
export class Session extends AggregateRoot<SessionEvent> {
  /** The actor of this session's events (undefined for the anonymous caller). */
  private readonly actor: EventActor | undefined;

  private constructor(
    readonly id: string,
    readonly transport: TransportKind,
    private readonly createdAt: Date,
    private readonly meta: EventMetaSource,
    private state: SessionState,
    private logLevel: LogLevel,
    /** Who opened the session. */
    readonly principal: Principal,
    private protocolVersion?: ProtocolVersion,
    private clientInfo?: ClientInfo,
    private clientCapabilities?: ClientCapabilities,
    private closeReason?: string,
    private closedAt?: Date,
  ) {
    super();
    this.actor = eventActorOf(principal);
  }

  static create(id: string, transport: TransportKind, meta: EventMetaSource, defaultLogLevel = 'info', principal: Principal = ANONYMOUS): Session {
    const m = meta();
    const session = new Session(id, transport, m.occurredAt, meta, 'CREATED', LogLevel.of(defaultLogLevel), principal);
    session.record(domainEvent(AGGREGATE, id, 'session.created', { transport }, m, id, undefined, session.actor));
    return session;
  }

  static restore(snapshot: SessionSnapshot, meta: EventMetaSource): Session {
    return new Session(
      snapshot.id,
      snapshot.transport,
      new Date(snapshot.createdAt),
      meta,
      snapshot.state,
      LogLevel.of(snapshot.logLevel),
      snapshot.principal !== undefined ? principalFromSnapshot(snapshot.principal) : ANONYMOUS,
      snapshot.protocolVersion !== undefined ? ProtocolVersion.of(snapshot.protocolVersion) : undefined,
      snapshot.clientInfo !== undefined ? ClientInfo.of(snapshot.clientInfo) : undefined,
      snapshot.clientCapabilities !== undefined ? ClientCapabilities.of(snapshot.clientCapabilities) : undefined,
      snapshot.closeReason,
      snapshot.closedAt !== undefined ? new Date(snapshot.closedAt) : undefined,
    );
  }

  get currentState(): SessionState {
    return this.state;
  }

  get negotiatedVersion(): string | undefined {
    return this.protocolVersion?.value;
  }

  get clientLogLevel(): LogLevel {
    return this.logLevel;
  }

  initialize(
    requestedVersion: string,
    supportedVersions: readonly string[],
    clientInfo: ClientInfo,
    capabilities: ClientCapabilities,
  ): ProtocolVersion {
    this.transition('CREATED', 'INITIALIZING', 'initialize');
    this.protocolVersion = ProtocolVersion.negotiate(requestedVersion, supportedVersions);
    this.clientInfo = clientInfo;
    this.clientCapabilities = capabilities;
    this.record(
      domainEvent(
        AGGREGATE,
        this.id,
        'session.initialized',
        {
          protocolVersion: this.protocolVersion.value,
          requestedProtocolVersion: requestedVersion,
          clientInfo: clientInfo.toJSON(),
          clientCapabilities: { ...capabilities.value },
        },
        this.meta(),
        this.id,
        undefined,
        this.actor,
      ),
    );
    return this.protocolVersion;
  }

  markReady(): void {
    this.transition('INITIALIZING', 'READY', 'notifications/initialized');
    this.record(domainEvent(AGGREGATE, this.id, 'session.ready', {}, this.meta(), this.id, undefined, this.actor));
  }

  /** Requests other than initialize and ping need a session whose initialize has been answered. */
  assertOperational(operation: string): void {
    if (this.state === 'INITIALIZING' || this.state === 'READY') return;
    const hint = this.state === 'CREATED' ? "send 'initialize' first" : 'the session is closing or closed';
    throw new DomainError('session.not_operational', `cannot ${operation} in state ${this.state}: ${hint}`, {
      state: this.state,
    });
  }

  setLogLevel(level: LogLevel): void {
    this.assertOperational('logging/setLevel');
    this.logLevel = level;
    this.record(domainEvent(AGGREGATE, this.id, 'session.log_level_changed', { level: level.name }, this.meta(), this.id, undefined, this.actor));
  }

  /** Closing is idempotent: a transport close that follows a shutdown is not an error. */
  close(reason: string): boolean {
    if (this.state === 'CLOSED') return false;
    if (this.state !== 'CLOSING') {
      this.state = 'CLOSING';
      this.record(domainEvent(AGGREGATE, this.id, 'session.closing', { reason }, this.meta(), this.id, undefined, this.actor));
    }
    const m = this.meta();
    this.state = 'CLOSED';
    this.closeReason = reason;
    this.closedAt = m.occurredAt;
    const durationMs = Math.max(0, m.occurredAt.getTime() - this.createdAt.getTime());
    this.record(domainEvent(AGGREGATE, this.id, 'session.closed', { reason, durationMs }, m, this.id, undefined, this.actor));
    return true;
  }

  snapshot(): SessionSnapshot {
    return {
      id: this.id,
      transport: this.transport,
      state: this.state,
      createdAt: this.createdAt.toISOString(),
      logLevel: this.logLevel.name,
      ...(this.protocolVersion ? { protocolVersion: this.protocolVersion.value } : {}),
      ...(this.clientInfo ? { clientInfo: this.clientInfo.toJSON() } : {}),
      ...(this.clientCapabilities ? { clientCapabilities: { ...this.clientCapabilities.value } } : {}),
      ...(this.closeReason !== undefined ? { closeReason: this.closeReason } : {}),
      ...(this.closedAt ? { closedAt: this.closedAt.toISOString() } : {}),
      ...(this.principal.kind !== 'anonymous' ? { principal: principalSnapshot(this.principal) } : {}),
    };
  }

  private transition(from: SessionState, to: SessionState, trigger: string): void {
    if (this.state !== from) {
      throw new DomainError(
        'session.invalid_transition',
        `'${trigger}' is not allowed in state ${this.state} (it moves a session from ${from} to ${to})`,
        { from: this.state, to, trigger },
      );
    }
    this.state = to;
  }
}

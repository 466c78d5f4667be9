import type { DomainEvent } from '../shared/domain-event.js';
import type { TransportKind } from './session-state.js';

export type SessionCreated = DomainEvent<'session.created', { transport: TransportKind }>;
export type SessionInitialized = DomainEvent<
  'session.initialized',
  {
    protocolVersion: string;
    requestedProtocolVersion: string;
    clientInfo: { name: string; version: string; title?: string };
    clientCapabilities: Record<string, unknown>;
  }
>;
export type SessionReady = DomainEvent<'session.ready', Record<string, never>>;
export type SessionLogLevelChanged = DomainEvent<'session.log_level_changed', { level: string }>;
export type SessionClosing = DomainEvent<'session.closing', { reason: string }>;
export type SessionClosed = DomainEvent<'session.closed', { reason: string; durationMs: number }>;

export type SessionEvent =
  | SessionCreated
  | SessionInitialized
  | SessionReady
  | SessionLogLevelChanged
  | SessionClosing
  | SessionClosed;

import { ANONYMOUS, type Principal } from '../domain/auth/principal.js';
import type { SessionRepository } from '../domain/session/session.repository.js';

/** W3C trace context as a client sent it in `_meta` (traceparent / tracestate). */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/**
 * One stateless request of the 2026-07-28 revision: no session behind it. What the client declared
 * travels with the request itself (ADR 009), and anything that outlives the request has an explicit
 * handle (a task id) bound to `principal`.
 */
export interface RequestOrigin {
  /** The authenticated subject's id (`caller.id` when `caller` is set); `anonymous` while the listener has no authentication. */
  readonly principal: string;
  /** Who sent the request, with its grants; absent: the anonymous caller (a listener without auth). */
  readonly caller?: Principal;
  /** Unique per request on this server (not the client's JSON-RPC id, which clients reuse). */
  readonly requestId: string;
  readonly protocolVersion: string;
  readonly trace?: TraceContext;
}

/**
 * Who a use case serves: a session id (stdio, and HTTP on the 2025 revisions) or one stateless
 * request. A plain string keeps the session path — every request of every 2025 client — free of an
 * extra object.
 */
export type Origin = string | RequestOrigin;

export function sessionIdOf(origin: Origin): string | undefined {
  return typeof origin === 'string' ? origin : undefined;
}

/**
 * What per-client limits and scopes key on: the session, or for a stateless request the request
 * itself (there is nothing longer-lived to share a budget with; the server-wide caps still apply).
 */
export function scopeKeyOf(origin: Origin): string {
  return typeof origin === 'string' ? origin : `request:${origin.requestId}`;
}

/** A session must be operational (initialized, not closed); a stateless request has nothing to check. */
export async function assertOperational(sessions: SessionRepository, origin: Origin, method: string): Promise<void> {
  if (typeof origin === 'string') (await sessions.get(origin)).assertOperational(method);
}

/**
 * Who is calling, once the session is known to be operational: the session's principal (read with
 * the session, which the check reads anyway), or the stateless request's caller.
 */
export async function callerOf(sessions: SessionRepository, origin: Origin, method: string): Promise<Principal> {
  if (typeof origin !== 'string') return origin.caller ?? ANONYMOUS;
  const session = await sessions.get(origin);
  session.assertOperational(method);
  return session.principal;
}

/** Who a log line is about: the session, or the request with its W3C trace (so operators can join logs to traces). */
export function logFieldsOf(origin: Origin): Record<string, unknown> {
  if (typeof origin === 'string') return { sessionId: origin };
  return origin.trace ? { requestId: origin.requestId, principal: origin.principal, traceparent: origin.trace.traceparent } : { requestId: origin.requestId, principal: origin.principal };
}

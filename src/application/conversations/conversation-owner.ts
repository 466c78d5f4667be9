import type { SessionRepository } from '../../domain/session/session.repository.js';
import type { TransportKind } from '../../domain/session/session-state.js';
import { type Origin } from '../origin.js';

/** The one user of a stdio server: whoever launched it. */
export const LOCAL_OWNER = 'local';
/** Any caller of a listener without authentication (HTTP), until principals exist (issue 14). */
export const ANONYMOUS_OWNER = 'anonymous';

const STATELESS_SCOPE = 'request:';
/** The only revision with stateless requests. */
const STATELESS_REVISION = '2026-07-28';

/**
 * Who owns the conversations a caller starts, and so which ones it may see. The single place
 * issue 14 (authentication) replaces: today stdio (and the in-process transport) is the local
 * user, HTTP anyone, and a stateless 2026-07-28 request its principal. Never a session id:
 * conversations outlive connections.
 */
export function ownerOf(caller: { readonly transport: TransportKind } | { readonly principal: string }): string {
  if ('principal' in caller) return caller.principal;
  return caller.transport === 'stdio' || caller.transport === 'memory' ? LOCAL_OWNER : ANONYMOUS_OWNER;
}

/**
 * A tool or resource sees its caller as a scope key (ToolContext.sessionId, Requester.sessionId):
 * a session id, or `request:<id>` for a stateless request. This finds the owner behind it.
 */
export class ConversationOwners {
  constructor(private readonly sessions: SessionRepository) {}

  async ofScope(scopeKey: string): Promise<string> {
    if (scopeKey.startsWith(STATELESS_SCOPE)) return ownerOf({ principal: ANONYMOUS_OWNER });
    const session = await this.sessions.get(scopeKey);
    return ownerOf({ transport: session.transport });
  }

  /**
   * The Origin to run the loop's tool calls and prompt renders under: the caller's session, or
   * for a stateless request a request of the same principal (the tool context does not carry the
   * request's own origin, so its trace context is not repeated on the nested executions).
   */
  originOf(scopeKey: string): Origin {
    if (!scopeKey.startsWith(STATELESS_SCOPE)) return scopeKey;
    return { principal: ANONYMOUS_OWNER, requestId: scopeKey.slice(STATELESS_SCOPE.length), protocolVersion: STATELESS_REVISION };
  }
}

import { ANONYMOUS, type Principal } from '../../domain/auth/principal.js';
import type { SessionRepository } from '../../domain/session/session.repository.js';
import type { Origin } from '../origin.js';

const STATELESS_SCOPE = 'request:';
/** The only revision with stateless requests. */
const STATELESS_REVISION = '2026-07-28';

/**
 * Who owns the conversations a caller starts, and so which ones it may see: the caller's principal
 * id (`key:ci`, `oauth:<sub>`, `local:<user>`; `anonymous` for every caller of a listener without
 * auth). Never a session id: conversations outlive connections.
 */
export function ownerOf(caller: Principal): string {
  return caller.id;
}

/** Who is asking, as a tool context or a resource requester carries it. */
export interface Asker {
  /** The scope key: a session id, or `request:<id>` for a stateless request. */
  readonly sessionId: string;
  readonly caller?: Principal;
  readonly origin?: Origin;
}

/**
 * The caller behind a conversation tool's context or a transcript read. ExecuteTool and
 * ReadResource hand over the caller (and ExecuteTool the request's Origin), so nothing is read
 * again; a context built elsewhere (an internal caller, a test) is resolved by its scope key: the
 * session's principal, or the anonymous caller for a stateless request.
 */
export class ConversationOwners {
  constructor(private readonly sessions: SessionRepository) {}

  async callerOf(asker: Asker): Promise<Principal> {
    if (asker.caller !== undefined) return asker.caller;
    if (asker.sessionId.startsWith(STATELESS_SCOPE)) return ANONYMOUS;
    return (await this.sessions.get(asker.sessionId)).principal;
  }

  /**
   * The Origin the loop's tool calls and prompt renders run under: the request's own (so they run
   * as the caller, with its grants, limits and trace), or, for a context without one, the session
   * or a stateless request of the same caller.
   */
  originOf(asker: Asker, caller: Principal): Origin {
    if (asker.origin !== undefined) return asker.origin;
    if (!asker.sessionId.startsWith(STATELESS_SCOPE)) return asker.sessionId;
    return { principal: caller.id, caller, requestId: asker.sessionId.slice(STATELESS_SCOPE.length), protocolVersion: STATELESS_REVISION };
  }
}

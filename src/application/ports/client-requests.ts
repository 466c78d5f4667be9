import type { Principal } from '../../domain/auth/principal.js';

/**
 * Port: requests a tool may send back to the client while it runs — `sampling/createMessage` (let
 * the client's model answer), `elicitation/create` (ask the user, e.g. to confirm a destructive
 * action) and `roots/list` (the directories the client lets the server work in). Payloads follow
 * the MCP schema; the transport validates the client's answers.
 */
export interface ClientRoot {
  readonly uri: string;
  readonly name?: string;
}

/** Who is asking: the session, and its client for server→client requests (roots, sampling). */
export interface Requester {
  /** The caller's scope key: its session id, or `request:<id>` for a stateless request. */
  readonly sessionId: string;
  /** Who is calling, with its grants (set by the use cases; absent for internal callers). */
  readonly caller?: Principal;
  readonly client?: ClientRequests;
  /** Runs `task` once the answer has left the process (see ToolContext.afterAnswer). */
  readonly afterAnswer?: (task: () => void) => void;
}

/** How an ask is named where answers come back by name (2026-07-28 input rounds); ignored on a session. */
export interface AskOptions {
  /** The key of this ask in `inputRequests` / `inputResponses`; default: its kind and order (`elicitation-1`). */
  readonly key?: string;
}

export interface ClientRequests {
  /** What the client declared (at initialize, or in this request's `_meta`). */
  readonly supports: { readonly sampling: boolean; readonly elicitation: boolean; readonly roots: boolean };
  /**
   * True where asks are answered by a later request rather than within this one (a stateless
   * 2026-07-28 request: each ask costs the client a round trip). Ask only for what the work cannot
   * do without; e.g. the file tools then use the server's roots instead of asking for the client's.
   */
  readonly answersLater?: boolean;
  createMessage(params: Readonly<Record<string, unknown>>, options?: AskOptions): Promise<Record<string, unknown>>;
  elicit(params: Readonly<Record<string, unknown>>, options?: AskOptions): Promise<{ action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> }>;
  /**
   * The client's roots. The answer is kept for the session until the client sends
   * notifications/roots/list_changed, so asking on every call costs nothing.
   */
  listRoots(): Promise<readonly ClientRoot[]>;
}

/**
 * Thrown by a ClientRequests when the request cannot go on now: not a failure of the work, so
 * nothing turns it into a tool error or a logged fault. Handlers let it pass untouched (they may
 * record that the run stopped); the transport answers it.
 */
export abstract class ClientInterrupt extends Error {}

/** The answer will come with a later request (2026-07-28: an InputRequiredResult goes out now). */
export class ClientAnswerPending extends ClientInterrupt {
  constructor() {
    super('waiting for the client to answer');
    this.name = 'ClientAnswerPending';
  }
}

/** The work needs a client capability the client did not declare (2026-07-28: -32021). */
export class ClientCapabilityMissing extends ClientInterrupt {
  constructor(readonly capability: 'sampling' | 'elicitation' | 'roots') {
    super(`this request needs the client capability "${capability}", which the request did not declare`);
    this.name = 'ClientCapabilityMissing';
  }
}

/** The client's answer does not fit what was asked (2026-07-28: an inputResponses entry of the wrong shape; -32602). */
export class ClientAnswerInvalid extends ClientInterrupt {
  constructor(message: string) {
    super(message);
    this.name = 'ClientAnswerInvalid';
  }
}

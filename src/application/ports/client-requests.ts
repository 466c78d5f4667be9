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
  readonly sessionId: string;
  readonly client?: ClientRequests;
  /** Runs `task` once the answer has left the process (see ToolContext.afterAnswer). */
  readonly afterAnswer?: (task: () => void) => void;
}

export interface ClientRequests {
  /** What the client declared at initialize. */
  readonly supports: { readonly sampling: boolean; readonly elicitation: boolean; readonly roots: boolean };
  createMessage(params: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  elicit(params: Readonly<Record<string, unknown>>): Promise<{ action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> }>;
  /**
   * The client's roots. The answer is kept for the session until the client sends
   * notifications/roots/list_changed, so asking on every call costs nothing.
   */
  listRoots(): Promise<readonly ClientRoot[]>;
}

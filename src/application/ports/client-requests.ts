/**
 * Port: requests a tool may send back to the client while it runs — `sampling/createMessage` (let
 * the client's model answer) and `elicitation/create` (ask the user, e.g. to confirm a destructive
 * action). Payloads follow the MCP schema; the transport validates the client's answers.
 */
export interface ClientRequests {
  /** What the client declared at initialize. */
  readonly supports: { readonly sampling: boolean; readonly elicitation: boolean };
  createMessage(params: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  elicit(params: Readonly<Record<string, unknown>>): Promise<{ action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> }>;
}

/**
 * The `requestState` of a multi-round-trip request (2026-07-28, SEP-2322): a request that needs
 * input from the client answers `input_required` with a sealed state, and the client retries the
 * same request with its answers and that state. The client holds the state, so it is untrusted
 * input on the way back: `open` refuses anything tampered with, expired, or minted for another
 * request. The state is signed, not encrypted: the client can read the payload, so keep secrets out.
 *
 * Both methods are async because the signature is computed with WebCrypto.
 */
export interface RequestStateSealer {
  /** The opaque wire string for `payload`, tied to `binding` (see {@link requestStateBinding}). */
  seal(payload: Readonly<Record<string, unknown>>, binding: string): Promise<string>;
  /**
   * The payload sealed into `state`, if `state` was sealed by this server (any key still
   * configured), has not expired and was sealed under the same `binding`. Otherwise throws
   * `ApplicationError('request_state.invalid')` whose message names why; never anything else.
   */
  open(state: string, binding: string): Promise<Record<string, unknown>>;
}

/** What a state is tied to: the request it was minted for and who made it. */
export interface RequestStateBindingParts {
  /** The JSON-RPC method, e.g. `tools/call`. */
  readonly method: string;
  /** The tool or prompt name (or resource URI) the request is about, when the method has one. */
  readonly name?: string;
  /** The authenticated subject, or `anonymous` (ADR 009). */
  readonly principal: string;
}

/**
 * The binding string for {@link RequestStateSealer}: one encoding for every caller, unambiguous
 * whatever characters the parts hold (JSON, not a separator a tool name could contain).
 */
export function requestStateBinding(parts: RequestStateBindingParts): string {
  return JSON.stringify([parts.method, parts.name ?? null, parts.principal]);
}

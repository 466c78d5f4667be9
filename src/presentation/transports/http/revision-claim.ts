import { classifyClaimed, hasRevisionClaim, MODERN_REVISIONS, type ModernRequest } from '../../mcp/stateless/revision-claim.js';
import { readHeader, type EdgeRejection, type HeaderBag } from './routing-headers.js';

export { MODERN_REVISIONS, type ModernRequest };

/**
 * Which protocol era a parsed POST body belongs to (the transport-neutral rules are in
 * `mcp/stateless/revision-claim.ts`, shared with stdio). Over HTTP a 2026-07-28 request also
 * names its revision in `MCP-Protocol-Version`; 2025 traffic has neither the claim nor that
 * header and must not pay for SDK v2's zod classifier, so `claimsModernRevision` looks at the
 * claim key and the header only, and `classifyRevision` hands claimed bodies, with the routing
 * headers, to v2's `classifyInboundRequest`.
 *
 * The claim test mirrors v2's body-primary rules (2.4.0, `classifyInboundRequest`): a body claims
 * when a params._meta (of the message, or of any batch element) holds the claim key, whatever its
 * value; or, for a single message with a string `method`, when `MCP-Protocol-Version` names a revision
 * that sorts at or after 2026-07-28 (v2 compares revision strings; batches ignore the header). Then
 * v2 never routes an unclaimed body anywhere but legacy, except to reject a malformed JSON-RPC body,
 * which the frame check (`classifyFrame`) refuses as well. A differential test holds this.
 * What each path costs per call: see ADR 006.
 */

export type RevisionVerdict = { readonly kind: 'legacy' } | ModernRequest | EdgeRejection;

const FIRST_MODERN = '2026-07-28';
const LEGACY = { kind: 'legacy' } as const;

/** The cheap pre-filter: false means 2025 traffic (or a body the frame check refuses), with no zod paid. */
export function claimsModernRevision(body: unknown, headers: HeaderBag): boolean {
  if (Array.isArray(body)) return body.some(hasRevisionClaim);
  if (!isObject(body)) return false;
  if (hasRevisionClaim(body)) return true;
  if (typeof body['method'] !== 'string') return false;
  const version = readHeader(headers, 'mcp-protocol-version');
  return version !== undefined && version >= FIRST_MODERN;
}

/**
 * The era of one parsed POST body: `legacy` (serve it on the 2025 session path), `modern`, or the
 * rejection v2 answers (400 with -32020 for a header/body disagreement, -32602 for a broken envelope,
 * -32600 for a batch holding a 2026-07-28 message, -32022 for a revision not in `supported`).
 * `modern` still needs `checkRoutingHeaders` before dispatch.
 */
export function classifyRevision(body: unknown, headers: HeaderBag, supported: readonly string[] = MODERN_REVISIONS): RevisionVerdict {
  if (!claimsModernRevision(body, headers)) return LEGACY;
  return classifyClaimed(
    body,
    { protocolVersion: readHeader(headers, 'mcp-protocol-version'), method: readHeader(headers, 'mcp-method'), name: readHeader(headers, 'mcp-name') },
    supported,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

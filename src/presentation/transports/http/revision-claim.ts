import {
  classifyInboundRequest,
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  LOG_LEVEL_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  TRACEPARENT_META_KEY,
  TRACESTATE_META_KEY,
  UnsupportedProtocolVersionError,
  type ClientCapabilities,
  type Implementation,
  type InboundModernRoute,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type LoggingLevel,
} from '@modelcontextprotocol/server';
import { readHeader, type EdgeRejection, type HeaderBag } from './routing-headers.js';

/**
 * Which protocol era a parsed POST body belongs to. A 2026-07-28 request carries its revision in
 * `params._meta["io.modelcontextprotocol/protocolVersion"]` (the claim) and names it in
 * `MCP-Protocol-Version`; 2025 traffic has neither and must not pay for SDK v2's zod classifier
 * (about 9 µs a call, ADR 009), so `claimsModernRevision` looks at the claim key and the header
 * only, and `classifyRevision` hands claimed bodies to v2's `classifyInboundRequest`.
 *
 * The claim test mirrors v2's body-primary rules (2.4.0, `classifyInboundRequest`): a body claims
 * when a params._meta (of the message, or of any batch element) holds the claim key, whatever its
 * value; or, for a single message with a string `method`, when `MCP-Protocol-Version` names a revision
 * that sorts at or after 2026-07-28 (v2 compares revision strings; batches ignore the header). Then
 * v2 never routes an unclaimed body anywhere but legacy, except to reject a malformed JSON-RPC body,
 * which the frame check (`classifyFrame`) refuses as well. A differential test holds this.
 *
 * CPU per call, median of 5 runs of `node bench/edge-checks.mjs` (100k calls each, process.cpuUsage,
 * Node 20.20, 2 vCPU VM at load 7-8, 2026-12-03): a 2025 tools/call costs 0.09 µs here (claim test,
 * then legacy); a 2026-07-28 tools/call 16 µs, which is v2's classifyInboundRequest (15.7 µs alone).
 */

/** The 2026-07-28 revisions tfo-mcp serves; the first entry is the newest. */
export const MODERN_REVISIONS: readonly string[] = ['2026-07-28'];

export type RevisionVerdict = { readonly kind: 'legacy' } | ModernRequest | EdgeRejection;

/** A 2026-07-28 message that passed v2's classifier and envelope checks and names a revision we serve. */
export interface ModernRequest {
  readonly kind: 'modern';
  readonly messageKind: 'request' | 'notification';
  readonly message: JSONRPCRequest | JSONRPCNotification;
  readonly protocolVersion: string;
  readonly clientInfo?: Implementation;
  /** What the request declared; `{}` for a notification, whose envelope v2 does not validate. */
  readonly clientCapabilities: ClientCapabilities;
  readonly logLevel?: LoggingLevel;
  /** W3C trace context from `_meta`, when `traceparent` is well formed (otherwise both are dropped). */
  readonly trace?: { readonly traceparent: string; readonly tracestate?: string };
}

const FIRST_MODERN = '2026-07-28';
const LEGACY = { kind: 'legacy' } as const;

/** The cheap pre-filter: false means 2025 traffic (or a body the frame check refuses), with no zod paid. */
export function claimsModernRevision(body: unknown, headers: HeaderBag): boolean {
  if (Array.isArray(body)) return body.some(hasClaim);
  if (!isObject(body)) return false;
  if (hasClaim(body)) return true;
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
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: readHeader(headers, 'mcp-protocol-version'),
    mcpMethodHeader: readHeader(headers, 'mcp-method'),
    mcpNameHeader: readHeader(headers, 'mcp-name'),
    body,
  });
  if (outcome.kind === 'legacy') return LEGACY;
  if (outcome.kind === 'reject') {
    const { httpStatus, code, message, data } = outcome;
    return data === undefined ? { kind: 'reject', httpStatus, code, message } : { kind: 'reject', httpStatus, code, message, data };
  }
  return modern(outcome, supported);
}

function modern(route: InboundModernRoute, supported: readonly string[]): ModernRequest | EdgeRejection {
  const revision = route.classification.revision;
  if (revision === undefined || !supported.includes(revision)) {
    const error = new UnsupportedProtocolVersionError({ supported: [...supported], requested: revision ?? 'unknown' });
    return { kind: 'reject', httpStatus: 400, code: error.code, message: error.message, data: error.data };
  }
  const params = route.message.params;
  const meta: Record<string, unknown> = isObject(params) && isObject(params['_meta']) ? params['_meta'] : {};
  // Built by assignment: spreads of optional members cost microseconds per call here.
  const verdict: Mutable<ModernRequest> = { kind: 'modern', messageKind: route.messageKind, message: route.message, protocolVersion: revision, clientCapabilities: {} };
  if (route.messageKind === 'request') {
    // v2 validated this envelope (ClientCapabilities, Implementation, LoggingLevel) before answering modern.
    verdict.clientCapabilities = meta[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities;
    if (meta[CLIENT_INFO_META_KEY] !== undefined) verdict.clientInfo = meta[CLIENT_INFO_META_KEY] as Implementation;
    if (meta[LOG_LEVEL_META_KEY] !== undefined) verdict.logLevel = meta[LOG_LEVEL_META_KEY] as LoggingLevel;
  }
  const trace = traceOf(meta);
  if (trace) verdict.trace = trace;
  return verdict;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

/** Per W3C Trace Context an unusable traceparent means a new trace, so a bad one is dropped, not refused. */
function traceOf(meta: Record<string, unknown>): ModernRequest['trace'] {
  const traceparent = meta[TRACEPARENT_META_KEY];
  const parts = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  if (!parts || parts[1] === 'ff' || /^0+$/.test(parts[2]) || /^0+$/.test(parts[3])) return undefined;
  const tracestate = meta[TRACESTATE_META_KEY];
  return typeof tracestate === 'string' && TRACESTATE.test(tracestate) ? { traceparent: parts[0], tracestate } : { traceparent: parts[0] };
}

function hasClaim(message: unknown): boolean {
  if (!isObject(message) || !isObject(message['params'])) return false;
  const meta = message['params']['_meta'];
  return isObject(meta) && PROTOCOL_VERSION_META_KEY in meta;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

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

/**
 * Which protocol era one parsed message belongs to, whatever carried it. A 2026-07-28 message
 * carries its revision in `params._meta["io.modelcontextprotocol/protocolVersion"]` (the claim);
 * 2025 traffic has none and must not pay for SDK v2's zod classifier (its cost: see ADR 006),
 * so transports test `hasRevisionClaim` first and hand only claimed messages (on HTTP also those
 * whose MCP-Protocol-Version header names a 2026 revision) to `classifyClaimed`.
 *
 * HTTP passes its routing headers (v2 checks them against the body); stdio has no header layer and
 * classifies the body alone, with the same rules and error codes as v2's `serveStdio` opening.
 */

/** The 2026-07-28 revisions tfo-mcp serves; the first entry is the newest. */
export const MODERN_REVISIONS: readonly string[] = ['2026-07-28'];

export type RevisionVerdict = { readonly kind: 'legacy' } | ModernRequest | ClaimRejection;

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

/**
 * A claimed message refused before dispatch: -32602 for a broken envelope, -32022 for a revision
 * not served, and on HTTP -32020 for a header/body disagreement and -32600 for a batch holding a
 * 2026-07-28 message. `httpStatus` is what the HTTP binding answers with; stdio ignores it.
 */
export interface ClaimRejection {
  readonly kind: 'reject';
  readonly httpStatus: number;
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** The HTTP routing headers v2 cross-checks against the body; none on stdio. */
export interface RevisionHeaders {
  readonly protocolVersion?: string;
  readonly method?: string;
  readonly name?: string;
}

const LEGACY = { kind: 'legacy' } as const;
const NO_HEADERS: RevisionHeaders = {};

/** True when the message's params._meta holds the claim key, whatever its value (v2's `hasEnvelopeClaim`). */
export function hasRevisionClaim(message: unknown): boolean {
  if (!isObject(message)) return false;
  const params = message['params'];
  if (!isObject(params)) return false;
  const meta = params['_meta'];
  return isObject(meta) && PROTOCOL_VERSION_META_KEY in meta;
}

/** A message without a header layer (stdio): the claim test, then v2's classifier for claimed ones only. */
export function classifyBody(message: unknown, supported: readonly string[] = MODERN_REVISIONS): RevisionVerdict {
  return hasRevisionClaim(message) ? classifyClaimed(message, NO_HEADERS, supported) : LEGACY;
}

/**
 * The era of a message that claims a 2026 revision: `legacy` (v2 routes it to the 2025 path:
 * an `initialize` whose claim is not a valid modern envelope), `modern`, or the rejection v2
 * answers; `supported` narrows v2's modern revisions to the ones served here (-32022 otherwise).
 */
export function classifyClaimed(body: unknown, headers: RevisionHeaders, supported: readonly string[] = MODERN_REVISIONS): RevisionVerdict {
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: headers.protocolVersion,
    mcpMethodHeader: headers.method,
    mcpNameHeader: headers.name,
    body,
  });
  if (outcome.kind === 'legacy') return LEGACY;
  if (outcome.kind === 'reject') {
    const { httpStatus, code, message, data } = outcome;
    return data === undefined ? { kind: 'reject', httpStatus, code, message } : { kind: 'reject', httpStatus, code, message, data };
  }
  return modern(outcome, supported);
}

function modern(route: InboundModernRoute, supported: readonly string[]): ModernRequest | ClaimRejection {
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

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

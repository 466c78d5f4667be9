import type { TraceContext } from '../../../application/ports/tracer.js';

/**
 * W3C Trace Context on the wire, without OpenTelemetry: the NATS publisher writes an event's
 * recorded context into its message headers whether or not tracing is on, and a consumer reads it
 * back with `traceFromHeaders` to continue the trace. Kept free of the SDK so neither side pays
 * for loading it.
 */

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

// version-traceid-parentid-flags; version ff is invalid, and all-zero ids mean "no context".
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
// W3C caps tracestate at 32 list members; 512 characters is what a propagator must keep at least.
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

/** A usable `traceparent`, or undefined (per W3C an unusable one starts a new trace; it is never an error). */
export function validTraceparent(value: string | undefined): string | undefined {
  if (value === undefined || value.length > 256) return undefined;
  const parts = TRACEPARENT.exec(value);
  if (parts === null) return undefined;
  const [, version, traceId, spanId, , rest] = parts;
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  // Version 00 has exactly four fields; a later version may append more, which we ignore.
  if (version === '00' && rest !== undefined) return undefined;
  return value;
}

/** Both headers checked together: a `tracestate` without a usable `traceparent` is dropped with it. */
export function traceContextOf(traceparent: string | undefined, tracestate: string | undefined): TraceContext | undefined {
  const parent = validTraceparent(traceparent?.trim());
  if (parent === undefined) return undefined;
  const state = tracestate?.trim();
  return state !== undefined && TRACESTATE.test(state) ? { traceparent: parent, tracestate: state } : { traceparent: parent };
}

/** What `setTraceHeaders` needs of NATS `MsgHdrs` (or any header bag). */
export interface HeaderWriter {
  set(key: string, value: string): void;
}

/** What `traceFromHeaders` needs: NATS `MsgHdrs.get` answers '' for a missing key. */
export interface HeaderReader {
  get(key: string): string | undefined;
}

/** Writes an event's trace context into message headers; nothing when it has none. */
export function setTraceHeaders(headers: HeaderWriter, trace: TraceContext | undefined): void {
  if (trace === undefined) return;
  headers.set(TRACEPARENT_HEADER, trace.traceparent);
  if (trace.tracestate !== undefined) headers.set(TRACESTATE_HEADER, trace.tracestate);
}

/** For a consumer: the context a message carries, or undefined when it carries none (or a broken one). */
export function traceFromHeaders(headers: HeaderReader | undefined): TraceContext | undefined {
  if (headers === undefined) return undefined;
  return traceContextOf(headers.get(TRACEPARENT_HEADER) || undefined, headers.get(TRACESTATE_HEADER) || undefined);
}

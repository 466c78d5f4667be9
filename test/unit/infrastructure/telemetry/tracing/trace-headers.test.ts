import { headers as natsHeaders } from 'nats';
import {
  setTraceHeaders,
  traceContextOf,
  traceFromHeaders,
  validTraceparent,
} from '../../../../../src/infrastructure/telemetry/tracing/trace-headers.js';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C trace context on the wire', () => {
  it('validTraceparent - a well-formed version 00 value - kept as is', () => {
    expect(validTraceparent(PARENT)).toBe(PARENT);
  });

  it.each([
    ['uppercase hex', PARENT.toUpperCase()],
    ['version ff', PARENT.replace(/^00/, 'ff')],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01'],
    ['version 00 with a fifth field', `${PARENT}-extra`],
    ['empty', ''],
    ['over-long', `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-${'a'.repeat(300)}`],
  ])('validTraceparent - %s - undefined (a new trace, never an error)', (_case, value) => {
    expect(validTraceparent(value)).toBeUndefined();
  });

  it('validTraceparent - a later version with more fields - accepted (forward compatible)', () => {
    const later = '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future';
    expect(validTraceparent(later)).toBe(later);
  });

  it('traceContextOf - tracestate without a usable traceparent - both dropped', () => {
    expect(traceContextOf('garbage', 'vendor=1')).toBeUndefined();
    expect(traceContextOf(PARENT, 'vendor=1')).toEqual({ traceparent: PARENT, tracestate: 'vendor=1' });
    expect(traceContextOf(PARENT, 'x'.repeat(513))).toEqual({ traceparent: PARENT });
    expect(traceContextOf(PARENT, 'bad\nstate')).toEqual({ traceparent: PARENT });
  });

  it('setTraceHeaders then traceFromHeaders on NATS MsgHdrs - the context round-trips', () => {
    const headers = natsHeaders();
    setTraceHeaders(headers, { traceparent: PARENT, tracestate: 'tfo=1' });
    expect(headers.get('traceparent')).toBe(PARENT);
    expect(traceFromHeaders(headers)).toEqual({ traceparent: PARENT, tracestate: 'tfo=1' });
  });

  it('setTraceHeaders - no context - writes nothing; traceFromHeaders - none or broken - undefined', () => {
    const headers = natsHeaders();
    setTraceHeaders(headers, undefined);
    expect(headers.has('traceparent')).toBe(false);
    expect(traceFromHeaders(headers)).toBeUndefined();
    expect(traceFromHeaders(undefined)).toBeUndefined();
    headers.set('traceparent', 'not-a-context');
    expect(traceFromHeaders(headers)).toBeUndefined();
  });
});

import { domainEvent } from '../../../src/domain/shared/domain-event.js';
import {
  decodeEnvelope,
  encodeEnvelope,
  envelopeHeaders,
  fromEnvelope,
  subjectFor,
  toEnvelope,
} from '../../../src/infrastructure/messaging/nats/event-envelope.js';
import { NatsAdapterError, redactNatsUrl } from '../../../src/infrastructure/messaging/nats/nats-errors.js';

// Pure functions, no server: kept next to the NATS tests because the wire format is what they check.
const meta = { id: '0193f3c4-7d2e-7a55-9d43-3b8e4f0a1c22', occurredAt: new Date('2025-06-01T10:00:00.123Z') };

describe('event envelope and subjects', () => {
  it.each([
    ['session.created', 1, 'tfo.mcp.session.created.v1'],
    ['session.initialized', 1, 'tfo.mcp.session.initialized.v1'],
    ['session.log_level_changed', 1, 'tfo.mcp.session.log_level_changed.v1'],
    ['tool.executed', 1, 'tfo.mcp.tool.executed.v1'],
    ['conversation.message_added', 2, 'tfo.mcp.conversation.message_added.v2'],
  ])('subjectFor - %s v%d - %s', (type, version, subject) => {
    expect(subjectFor('tfo.mcp', type, version)).toBe(subject);
  });

  it.each(['tool.exec uted', 'tool.*', 'tool.>', 'tool..executed', '', 'tool.executed.'])(
    'subjectFor - type %j is not a list of valid tokens - rejects with nats.invalid_event',
    (type) => {
      expect(() => subjectFor('tfo.mcp', type, 1)).toThrow(NatsAdapterError);
    },
  );

  it.each([0, 1.5, -1])('subjectFor - version %d - rejects', (version) => {
    expect(() => subjectFor('tfo.mcp', 'tool.executed', version)).toThrow(/versions are integers from 1/);
  });

  it('toEnvelope - tool.executed - snake_case envelope from the event, data untouched, source from config', () => {
    const event = domainEvent('tool_execution', 'x-1', 'tool.executed', { executionId: 'x-1', tool: 'ls', durationMs: 5, outcome: 'success' }, meta, 's-1');

    expect(toEnvelope(event, 'tfo-mcp@host-a')).toEqual({
      id: meta.id,
      type: 'tool.executed',
      version: 1,
      source: 'tfo-mcp@host-a',
      occurred_at: '2025-06-01T10:00:00.123Z',
      aggregate_type: 'tool_execution',
      aggregate_id: 'x-1',
      session_id: 's-1',
      data: { executionId: 'x-1', tool: 'ls', durationMs: 5, outcome: 'success' },
    });
  });

  it('toEnvelope - event without a session - omits session_id (never null)', () => {
    const envelope = toEnvelope(domainEvent('tool', 'ls', 'tool.registered', { name: 'ls', annotations: {} }, meta), 'tfo-mcp');

    expect(envelope).not.toHaveProperty('session_id');
    expect(JSON.parse(new TextDecoder().decode(encodeEnvelope(envelope)))).not.toHaveProperty('session_id');
  });

  it('toEnvelope - event with an actor - carries it (id, kind, tenant), and decode gives it back', () => {
    const actor = { id: 'key:ci', kind: 'api-key', tenant: 'acme' };
    const event = domainEvent('tool_execution', 'x-2', 'tool.executed', { executionId: 'x-2' }, meta, 's-1', undefined, actor);
    const envelope = toEnvelope(event, 'tfo-mcp');
    expect(envelope.actor).toEqual(actor);
    expect(fromEnvelope(decodeEnvelope(encodeEnvelope(envelope)))).toEqual(event);
    expect(toEnvelope(domainEvent('tool', 'ls', 'tool.registered', { name: 'ls' }, meta), 'tfo-mcp')).not.toHaveProperty('actor');
  });

  it('envelopeHeaders - event with a trace - carries traceparent and tracestate for consumers; without one, neither', () => {
    const trace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=x' };
    const traced = envelopeHeaders(domainEvent('tool', 'ls', 'tool.registered', { name: 'ls' }, meta, undefined, trace));
    expect(traced.get('traceparent')).toBe(trace.traceparent);
    expect(traced.get('tracestate')).toBe('vendor=x');
    const plain = envelopeHeaders(domainEvent('tool', 'ls', 'tool.registered', { name: 'ls' }, meta));
    expect(plain.has('traceparent')).toBe(false);
  });

  it('encode then decode - round-trips to the same internal event', () => {
    const event = domainEvent('session', 's-1', 'session.closed', { reason: 'client "bye" ✓', durationMs: 10 }, meta, 's-1');

    expect(fromEnvelope(decodeEnvelope(encodeEnvelope(toEnvelope(event, 'tfo-mcp'))))).toEqual(event);
  });

  it('decodeEnvelope - a later envelope with extra fields - keeps them (consumers tolerate additions)', () => {
    const body = new TextEncoder().encode(
      JSON.stringify({ ...toEnvelope(domainEvent('tool', 'ls', 'tool.registered', {}, meta), 'tfo-mcp'), trace_id: 'abc' }),
    );

    expect(decodeEnvelope(body)).toMatchObject({ type: 'tool.registered', trace_id: 'abc' });
  });

  it.each([
    ['not JSON', '{nope', 'message body is not JSON'],
    ['missing id', JSON.stringify({ type: 't.x', version: 1, source: 's', occurred_at: 'x', aggregate_type: 'a', aggregate_id: 'b', data: {} }), 'not a tfo-mcp event envelope: id'],
    ['missing data', JSON.stringify({ id: 'i', type: 't.x', version: 1, source: 's', occurred_at: 'x', aggregate_type: 'a', aggregate_id: 'b' }), 'not a tfo-mcp event envelope: data'],
    ['string version', JSON.stringify({ id: 'i', type: 't.x', version: '1', source: 's', occurred_at: 'x', aggregate_type: 'a', aggregate_id: 'b', data: {} }), 'not a tfo-mcp event envelope: version'],
  ])('decodeEnvelope - %s - rejects with a reason', (_, body, message) => {
    expect(() => decodeEnvelope(new TextEncoder().encode(body))).toThrow(message);
  });

  it('envelopeHeaders - carries content type, event type and version', () => {
    const h = envelopeHeaders({ ...domainEvent('tool', 'ls', 'tool.registered', {}, meta), version: 3 });

    expect(h.get('Content-Type')).toBe('application/json');
    expect(h.get('Tfo-Event-Type')).toBe('tool.registered');
    expect(h.get('Tfo-Event-Version')).toBe('3');
  });

  it.each([
    ['nats://user:s3cret@127.0.0.1:4222', 'nats://127.0.0.1:4222'],
    ['nats://tok3n@nats.internal:4222', 'nats://nats.internal:4222'],
    ['tls://a:b@h1:4222, nats://h2:4222', 'tls://h1:4222,nats://h2:4222'],
    ['u:p@h:4222', 'h:4222'],
    ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4222'],
  ])('redactNatsUrl - %s - %s', (url, redacted) => {
    expect(redactNatsUrl(url)).toBe(redacted);
  });
});

import { domainEvent, isoTimestamp } from '../../../src/domain/shared/domain-event.js';

describe('isoTimestamp', () => {
  it('dates in any order, repeated and alternating - always the date\'s own ISO text', () => {
    const instants = [0, 1, 1, 1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_000, 999, -1, 1_700_000_000_001];

    const formatted = instants.map((ms) => isoTimestamp(new Date(ms)));

    expect(formatted).toEqual(instants.map((ms) => new Date(ms).toISOString()));
  });
});

describe('domainEvent', () => {
  const meta = { id: 'e-1', occurredAt: new Date(Date.UTC(2026, 10, 21, 8, 30, 0, 123)) };

  it('with a session - the envelope carries it, between aggregateId and occurredAt', () => {
    const event = domainEvent('tool_execution', 'x-1', 'tool.executed', { n: 1 }, meta, 's-1');

    expect(event).toEqual({ id: 'e-1', type: 'tool.executed', version: 1, aggregateType: 'tool_execution', aggregateId: 'x-1', sessionId: 's-1', occurredAt: '2026-11-21T08:30:00.123Z', data: { n: 1 } });
    expect(Object.keys(event)).toEqual(['id', 'type', 'version', 'aggregateType', 'aggregateId', 'sessionId', 'occurredAt', 'data']);
  });

  it('without a session - no sessionId key at all (not an undefined one)', () => {
    const event = domainEvent('tool', 'echo', 'tool.registered', {}, meta);

    expect('sessionId' in event).toBe(false);
    expect(JSON.stringify(event)).toBe('{"id":"e-1","type":"tool.registered","version":1,"aggregateType":"tool","aggregateId":"echo","occurredAt":"2026-11-21T08:30:00.123Z","data":{}}');
  });
});

import { ClientCapabilities, ClientInfo } from '../../../src/domain/session/client-info.js';
import { LogLevel } from '../../../src/domain/session/log-level.js';
import { Session, type SessionSnapshot } from '../../../src/domain/session/session.js';
import type { SessionState } from '../../../src/domain/session/session-state.js';
import { domainErrorOf as thrown } from '../../support/builders.js';
import { fixedMeta, T0 } from '../../support/fixed-clock.js';

const SUPPORTED = ['2025-06-18', '2025-03-26'] as const;
const CLIENT = ClientInfo.of({ name: 'claude-desktop', version: '1.2.3' });
const CAPS = ClientCapabilities.of({ sampling: {} });

function fresh() {
  const { clock, meta } = fixedMeta();
  const session = Session.create('s-1', 'stdio', meta);
  return { clock, meta, session };
}

/** A session driven through the real transitions to `state`, with its events already pulled. */
function sessionIn(state: SessionState) {
  const ctx = fresh();
  const { session } = ctx;
  if (state !== 'CREATED') session.initialize('2025-06-18', SUPPORTED, CLIENT, CAPS);
  if (state === 'READY' || state === 'CLOSING' || state === 'CLOSED') session.markReady();
  if (state === 'CLOSED') session.close('bye');
  if (state === 'CLOSING') {
    const closing: SessionSnapshot = { ...session.snapshot(), state: 'CLOSING' };
    return { ...ctx, session: Session.restore(closing, ctx.meta) };
  }
  session.pullEvents();
  return ctx;
}

describe('Session', () => {
  it('create - new session - is CREATED with the default log level and records session.created', () => {
    const { session } = fresh();

    expect(session.currentState).toBe('CREATED');
    expect(session.clientLogLevel.name).toBe('info');
    expect(session.negotiatedVersion).toBeUndefined();
    expect(session.pullEvents()).toEqual([
      {
        id: 'evt-1',
        type: 'session.created',
        version: 1,
        aggregateType: 'session',
        aggregateId: 's-1',
        sessionId: 's-1',
        occurredAt: T0.toISOString(),
        data: { transport: 'stdio' },
      },
    ]);
  });

  it('create - unknown default log level - throws value.invalid', () => {
    const { meta } = fixedMeta();
    expect(thrown(() => Session.create('s-1', 'stdio', meta, 'verbose')).code).toBe('value.invalid');
  });

  it('initialize - supported version requested - echoes it, moves to INITIALIZING and records session.initialized', () => {
    const { session } = fresh();
    session.pullEvents();

    const version = session.initialize('2025-03-26', SUPPORTED, CLIENT, CAPS);

    expect(version.value).toBe('2025-03-26');
    expect(session.currentState).toBe('INITIALIZING');
    expect(session.negotiatedVersion).toBe('2025-03-26');
    const [event, ...rest] = session.pullEvents();
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      type: 'session.initialized',
      aggregateId: 's-1',
      data: {
        protocolVersion: '2025-03-26',
        requestedProtocolVersion: '2025-03-26',
        clientInfo: { name: 'claude-desktop', version: '1.2.3' },
        clientCapabilities: { sampling: {} },
      },
    });
  });

  it('initialize - unsupported version requested - offers the newest supported and records what was asked', () => {
    const { session } = fresh();
    session.pullEvents();

    const version = session.initialize('1999-01-01', SUPPORTED, CLIENT, CAPS);

    expect(version.value).toBe('2025-06-18');
    expect(session.pullEvents()[0]?.data).toMatchObject({ protocolVersion: '2025-06-18', requestedProtocolVersion: '1999-01-01' });
  });

  it('markReady - after initialize - moves to READY and records session.ready', () => {
    const { session } = sessionIn('INITIALIZING');

    session.markReady();

    expect(session.currentState).toBe('READY');
    expect(session.pullEvents().map((e) => e.type)).toEqual(['session.ready']);
  });

  it.each<[string, SessionState, (s: Session) => void]>([
    ['initialize', 'INITIALIZING', (s) => s.initialize('2025-06-18', SUPPORTED, CLIENT, CAPS)],
    ['initialize', 'READY', (s) => s.initialize('2025-06-18', SUPPORTED, CLIENT, CAPS)],
    ['initialize', 'CLOSING', (s) => s.initialize('2025-06-18', SUPPORTED, CLIENT, CAPS)],
    ['initialize', 'CLOSED', (s) => s.initialize('2025-06-18', SUPPORTED, CLIENT, CAPS)],
    ['markReady', 'CREATED', (s) => s.markReady()],
    ['markReady', 'READY', (s) => s.markReady()],
    ['markReady', 'CLOSING', (s) => s.markReady()],
    ['markReady', 'CLOSED', (s) => s.markReady()],
  ])('%s - in state %s - throws session.invalid_transition and changes nothing', (_, state, act) => {
    const { session } = sessionIn(state);
    const before = session.snapshot();

    const error = thrown(() => act(session));

    expect(error.code).toBe('session.invalid_transition');
    expect(error.details).toMatchObject({ from: state });
    expect(session.currentState).toBe(state);
    expect(session.snapshot()).toEqual(before);
    expect(session.pullEvents()).toEqual([]);
  });

  it.each<SessionState>(['INITIALIZING', 'READY'])('assertOperational - in state %s - passes', (state) => {
    const { session } = sessionIn(state);
    expect(() => session.assertOperational('tools/list')).not.toThrow();
  });

  it.each<[SessionState, RegExp]>([
    ['CREATED', /send 'initialize' first/],
    ['CLOSING', /closing or closed/],
    ['CLOSED', /closing or closed/],
  ])('assertOperational - in state %s - throws session.not_operational with a hint', (state, hint) => {
    const { session } = sessionIn(state);

    const error = thrown(() => session.assertOperational('tools/list'));

    expect(error.code).toBe('session.not_operational');
    expect(error.message).toMatch(/tools\/list/);
    expect(error.message).toMatch(hint);
    expect(error.details).toEqual({ state });
  });

  it('setLogLevel - operational session - changes the level and records session.log_level_changed', () => {
    const { session } = sessionIn('READY');

    session.setLogLevel(LogLevel.of('error'));

    expect(session.clientLogLevel.name).toBe('error');
    expect(session.pullEvents()).toEqual([expect.objectContaining({ type: 'session.log_level_changed', data: { level: 'error' } })]);
  });

  it.each<SessionState>(['CREATED', 'CLOSED'])('setLogLevel - in state %s - throws session.not_operational and keeps the level', (state) => {
    const { session } = sessionIn(state);

    expect(thrown(() => session.setLogLevel(LogLevel.of('debug'))).code).toBe('session.not_operational');
    expect(session.clientLogLevel.name).toBe('info');
    expect(session.pullEvents()).toEqual([]);
  });

  it.each<SessionState>(['CREATED', 'INITIALIZING', 'READY'])(
    'close - from %s - records closing then closed with the duration from the clock',
    (state) => {
      const { session, clock } = sessionIn(state);
      clock.advance(1_500);

      expect(session.close('client went away')).toBe(true);

      expect(session.currentState).toBe('CLOSED');
      const events = session.pullEvents();
      expect(events.map((e) => e.type)).toEqual(['session.closing', 'session.closed']);
      expect(events[0]?.data).toEqual({ reason: 'client went away' });
      expect(events[1]?.data).toEqual({ reason: 'client went away', durationMs: 1_500 });
      expect(session.snapshot()).toMatchObject({ closeReason: 'client went away', closedAt: new Date(T0.getTime() + 1_500).toISOString() });
    },
  );

  it('close - from CLOSING - records only session.closed', () => {
    const { session } = sessionIn('CLOSING');

    expect(session.close('shutdown')).toBe(true);

    expect(session.currentState).toBe('CLOSED');
    expect(session.pullEvents().map((e) => e.type)).toEqual(['session.closed']);
  });

  it('close - twice - the second call returns false, records nothing and keeps the first reason', () => {
    const { session } = sessionIn('READY');
    session.close('first');
    session.pullEvents();

    expect(session.close('second')).toBe(false);

    expect(session.pullEvents()).toEqual([]);
    expect(session.snapshot().closeReason).toBe('first');
  });

  it('pullEvents - called twice - returns the events once, in the order recorded', () => {
    const { session } = fresh();
    session.initialize('2025-06-18', SUPPORTED, CLIENT, CAPS);
    session.markReady();

    const first = session.pullEvents();

    expect(first.map((e) => e.type)).toEqual(['session.created', 'session.initialized', 'session.ready']);
    expect(first.map((e) => e.id)).toEqual(['evt-1', 'evt-2', 'evt-3']);
    expect(session.pullEvents()).toEqual([]);
  });

  it.each<SessionState>(['CREATED', 'READY', 'CLOSED'])('snapshot/restore - session in %s - round-trips exactly and records nothing', (state) => {
    const { session, meta } = sessionIn(state);
    const snapshot = session.snapshot();

    const restored = Session.restore(snapshot, meta);

    expect(restored.snapshot()).toEqual(snapshot);
    expect(restored.currentState).toBe(state);
    expect(restored.pullEvents()).toEqual([]);
  });

  it('snapshot/restore - READY session with a changed log level - keeps version, client, capabilities and level', () => {
    const { session, meta } = sessionIn('READY');
    session.setLogLevel(LogLevel.of('warning'));

    const restored = Session.restore(session.snapshot(), meta);

    expect(restored.snapshot()).toEqual({
      id: 's-1',
      transport: 'stdio',
      state: 'READY',
      createdAt: T0.toISOString(),
      logLevel: 'warning',
      protocolVersion: '2025-06-18',
      clientInfo: { name: 'claude-desktop', version: '1.2.3' },
      clientCapabilities: { sampling: {} },
    });
    expect(restored.clientLogLevel.name).toBe('warning');
    expect(restored.negotiatedVersion).toBe('2025-06-18');
  });

  it('restore - then close - measures the duration from the original creation time', () => {
    const { session, meta, clock } = sessionIn('READY');
    const restored = Session.restore(session.snapshot(), meta);
    clock.advance(60_000);

    restored.close('done');

    expect(restored.pullEvents().at(-1)?.data).toEqual({ reason: 'done', durationMs: 60_000 });
  });

  it('snapshot - mutated by the caller - does not change the aggregate', () => {
    const { session } = sessionIn('READY');
    const snapshot = session.snapshot() as { clientCapabilities?: Record<string, unknown> };

    snapshot.clientCapabilities!['roots'] = { listChanged: true };

    expect(session.snapshot().clientCapabilities).toEqual({ sampling: {} });
  });
});

import type { Outbox } from '../../src/application/ports/outbox.js';
import { Grants } from '../../src/domain/auth/grants.js';
import { DomainError } from '../../src/domain/shared/domain-error.js';
import type { EventMetaSource } from '../../src/domain/shared/event-meta-source.js';
import { ClientCapabilities, ClientInfo } from '../../src/domain/session/client-info.js';
import { LogLevel } from '../../src/domain/session/log-level.js';
import { Session } from '../../src/domain/session/session.js';
import type { SessionRepository } from '../../src/domain/session/session.repository.js';
import type { SessionState } from '../../src/domain/session/session-state.js';
import { SUPPORTED_VERSIONS } from '../support/builders.js';
import { fixedMeta, T0 } from '../support/fixed-clock.js';
import { drainOutbox } from './outbox.contract.js';

export interface SessionRepositoryFixture {
  readonly repository: SessionRepository;
  /** The outbox the repository's saves append to. */
  readonly outbox: Outbox;
  teardown?(): Promise<void>;
}

const CLIENT = { name: 'Claude Desktop', version: '0.9.1', title: 'Claude "Desktop" ✓' };
const CAPABILITIES = { roots: { listChanged: true }, sampling: {}, elicitation: { form: {}, url: {} }, experimental: { 'x-flag': [1, 'two', null] } };

/**
 * SessionRepository's behaviour: the factory gets the EventMetaSource the sessions use (a
 * repository that restores aggregates needs it for their later events).
 */
export function describeSessionRepositoryContract(name: string, factory: (meta: EventMetaSource) => Promise<SessionRepositoryFixture>): void {
  describe(`SessionRepository contract: ${name}`, () => {
    let ctx: ReturnType<typeof fixedMeta>;
    let fx: SessionRepositoryFixture;
    beforeEach(async () => {
      ctx = fixedMeta();
      fx = await factory(ctx.meta);
    });
    afterEach(async () => {
      await fx.teardown?.();
    });

    const created = (id: string) => Session.create(id, 'http', ctx.meta);
    const initializing = (id: string) => {
      const session = created(id);
      session.initialize('2025-03-26', SUPPORTED_VERSIONS, ClientInfo.of(CLIENT), ClientCapabilities.of(CAPABILITIES));
      return session;
    };
    const ready = (id: string) => {
      const session = initializing(id);
      session.markReady();
      session.setLogLevel(LogLevel.of('warning'));
      return session;
    };
    const closing = (id: string) => Session.restore({ ...ready(id).snapshot(), state: 'CLOSING' }, ctx.meta);
    const closed = (id: string) => {
      const session = ready(id);
      ctx.clock.advance(1_500);
      session.close('client went away');
      return session;
    };
    const build: Record<SessionState, (id: string) => Session> = {
      CREATED: created,
      INITIALIZING: initializing,
      READY: ready,
      CLOSING: closing,
      CLOSED: closed,
    };

    it('get - unknown id - rejects with DomainError session.not_found', async () => {
      const attempt = fx.repository.get('missing');

      await expect(attempt).rejects.toBeInstanceOf(DomainError);
      await expect(attempt).rejects.toMatchObject({ code: 'session.not_found' });
    });

    it.each(Object.keys(build) as SessionState[])('save then get - state %s - the snapshot round-trips exactly', async (state) => {
      const session = build[state](`s-${state}`);

      await fx.repository.save(session);
      const loaded = await fx.repository.get(`s-${state}`);

      expect(loaded.snapshot()).toEqual(session.snapshot());
      expect(loaded.currentState).toBe(state);
    });

    it('save then get - client info, capabilities, negotiated version and log level survive', async () => {
      await fx.repository.save(ready('s-1'));

      const loaded = await fx.repository.get('s-1');

      expect(loaded.negotiatedVersion).toBe('2025-03-26');
      expect(loaded.clientLogLevel.name).toBe('warning');
      expect(loaded.snapshot()).toMatchObject({ clientInfo: CLIENT, clientCapabilities: CAPABILITIES, transport: 'http', createdAt: T0.toISOString() });
    });

    it('save then get - the principal that opened the session comes back with its grants; its later events carry the actor', async () => {
      const principal = { id: 'oauth:ana "o\'neil" ✓', kind: 'oauth' as const, grants: Grants.parse(['tools:read_file', 'resources:file']), tenant: 'acme', rateLimitClass: 'batch' };
      const session = Session.create('s-p', 'http', ctx.meta, 'info', principal);
      await fx.repository.save(session);

      const loaded = await fx.repository.get('s-p');
      const stored = loaded.snapshot();
      loaded.close('bye');

      expect(stored).toEqual(Session.create('s-p', 'http', ctx.meta, 'info', principal).snapshot());
      expect(loaded.principal).toMatchObject({ id: principal.id, kind: 'oauth', tenant: 'acme', rateLimitClass: 'batch' });
      expect(loaded.principal.grants.toJSON()).toEqual(['tools:read_file', 'resources:file']);
      expect(loaded.pullEvents().map((e) => e.actor)).toEqual([
        { id: principal.id, kind: 'oauth', tenant: 'acme' },
        { id: principal.id, kind: 'oauth', tenant: 'acme' },
      ]);
    });

    it('save then get - a session without a principal is the anonymous caller\'s', async () => {
      await fx.repository.save(created('s-a'));

      const loaded = await fx.repository.get('s-a');

      expect(loaded.principal).toMatchObject({ id: 'anonymous', kind: 'anonymous' });
      expect(loaded.principal.grants.allowsEvery('tools')).toBe(true);
    });

    it('save then get - ids with quotes and unicode - found by exactly that id', async () => {
      const id = `it's "odd" ✓ ${'x'.repeat(200)}`;
      await fx.repository.save(created(id));

      await expect(fx.repository.get(id)).resolves.toMatchObject({ id });
      await expect(fx.repository.get(id.toUpperCase())).rejects.toMatchObject({ code: 'session.not_found' });
    });

    it('save - appends the pulled events to the outbox once, in order, and leaves none on the aggregate', async () => {
      const session = ready('s-1');

      await fx.repository.save(session);
      await fx.repository.save(session);

      const events = await drainOutbox(fx.outbox);
      expect(events.map((e) => e.type)).toEqual(['session.created', 'session.initialized', 'session.ready', 'session.log_level_changed']);
      expect(events.map((e) => e.id)).toEqual(['evt-1', 'evt-2', 'evt-3', 'evt-4']);
      expect(events[1]).toEqual({
        id: 'evt-2',
        type: 'session.initialized',
        version: 1,
        aggregateType: 'session',
        aggregateId: 's-1',
        sessionId: 's-1',
        occurredAt: T0.toISOString(),
        data: { protocolVersion: '2025-03-26', requestedProtocolVersion: '2025-03-26', clientInfo: CLIENT, clientCapabilities: CAPABILITIES },
      });
      expect(session.pullEvents()).toEqual([]);
    });

    it('save - an unchanged aggregate, and one freshly loaded - appends nothing', async () => {
      const session = created('s-1');
      await fx.repository.save(session);
      await drainOutbox(fx.outbox);

      await fx.repository.save(session);
      await fx.repository.save(await fx.repository.get('s-1'));

      await expect(fx.outbox.pending()).resolves.toBe(0);
    });

    it('get, change, save - the loaded aggregate keeps working: new state stored, only the new events appended', async () => {
      await fx.repository.save(ready('s-1'));
      await drainOutbox(fx.outbox);
      ctx.clock.advance(2_000);

      const loaded = await fx.repository.get('s-1');
      expect(loaded.close('shutdown')).toBe(true);
      await fx.repository.save(loaded);

      const events = await drainOutbox(fx.outbox);
      expect(events.map((e) => [e.type, e.id])).toEqual([
        ['session.closing', 'evt-5'],
        ['session.closed', 'evt-6'],
      ]);
      // durationMs is measured from the stored creation time.
      expect(events[1]?.data).toEqual({ reason: 'shutdown', durationMs: 2_000 });
      const reloaded = await fx.repository.get('s-1');
      expect(reloaded.currentState).toBe('CLOSED');
      expect(reloaded.snapshot()).toMatchObject({ closeReason: 'shutdown', closedAt: new Date(T0.getTime() + 2_000).toISOString() });
      expect(reloaded.close('again')).toBe(false);
    });

    it('save - the same session through every state - one record, latest state wins', async () => {
      const session = created('s-1');
      await fx.repository.save(session);
      session.initialize('2025-06-18', SUPPORTED_VERSIONS, ClientInfo.of({ name: 'c', version: '1' }), ClientCapabilities.of({}));
      await fx.repository.save(session);
      session.markReady();
      await fx.repository.save(session);

      await expect(fx.repository.countByState()).resolves.toEqual({ CREATED: 0, INITIALIZING: 0, READY: 1, CLOSING: 0, CLOSED: 0 });
      expect((await fx.repository.get('s-1')).currentState).toBe('READY');
    });

    it('countByState - empty repository - all zeros', async () => {
      await expect(fx.repository.countByState()).resolves.toEqual({ CREATED: 0, INITIALIZING: 0, READY: 0, CLOSING: 0, CLOSED: 0 });
    });

    it('countByState - reports every state, zeros included', async () => {
      await fx.repository.save(created('a'));
      await fx.repository.save(created('b'));
      await fx.repository.save(ready('c'));
      await fx.repository.save(closing('d'));
      await fx.repository.save(closed('e'));

      await expect(fx.repository.countByState()).resolves.toEqual({ CREATED: 2, INITIALIZING: 0, READY: 1, CLOSING: 1, CLOSED: 1 });
    });
  });
}

import { CloseSessionCommand } from '../../../src/application/session/close-session.command.js';
import { GetSessionQuery } from '../../../src/application/session/get-session.query.js';
import { InitializeSessionCommand } from '../../../src/application/session/initialize-session.command.js';
import { MarkSessionReadyCommand } from '../../../src/application/session/mark-session-ready.command.js';
import { OpenSessionCommand } from '../../../src/application/session/open-session.command.js';
import { SetLogLevelCommand } from '../../../src/application/session/set-log-level.command.js';
import { DomainError } from '../../../src/domain/shared/domain-error.js';
import { T0 } from '../../support/fixed-clock.js';
import { createTestApp } from '../../support/test-app.js';

const CLIENT = { name: 'test-client', version: '1.0.0' };

describe('session use cases', () => {
  it('OpenSession - no id given - creates a CREATED session with a generated id and appends session.created', async () => {
    const app = createTestApp({ settings: { defaultClientLogLevel: 'notice' } });

    const { sessionId } = await app.commands.execute(new OpenSessionCommand('stdio'));

    expect(sessionId).toBe('id-1');
    await expect(app.queries.execute(new GetSessionQuery(sessionId))).resolves.toEqual({
      id: 'id-1',
      transport: 'stdio',
      state: 'CREATED',
      createdAt: T0.toISOString(),
      logLevel: 'notice',
    });
    const events = await app.takeEvents();
    expect(events.map((e) => [e.type, e.aggregateId, e.data])).toEqual([['session.created', 'id-1', { transport: 'stdio' }]]);
  });

  it('OpenSession - transport-provided id - uses it', async () => {
    const app = createTestApp();

    await expect(app.commands.execute(new OpenSessionCommand('http', 'mcp-session-42'))).resolves.toEqual({ sessionId: 'mcp-session-42' });

    await expect(app.queries.execute(new GetSessionQuery('mcp-session-42'))).resolves.toMatchObject({ transport: 'http', state: 'CREATED' });
  });

  it('InitializeSession - supported version - answers it, moves to INITIALIZING and appends session.initialized', async () => {
    const app = createTestApp();
    const id = await app.openSession();
    await app.takeEvents();

    const result = await app.commands.execute(new InitializeSessionCommand(id, '2025-03-26', CLIENT, { roots: {} }));

    expect(result).toEqual({ protocolVersion: '2025-03-26' });
    await expect(app.queries.execute(new GetSessionQuery(id))).resolves.toMatchObject({
      state: 'INITIALIZING',
      protocolVersion: '2025-03-26',
      clientInfo: CLIENT,
      clientCapabilities: { roots: {} },
    });
    expect((await app.takeEvents()).map((e) => e.type)).toEqual(['session.initialized']);
  });

  it('InitializeSession - unsupported version - answers the newest the settings support', async () => {
    const app = createTestApp();
    const id = await app.openSession();

    await expect(app.commands.execute(new InitializeSessionCommand(id, '2099-01-01', CLIENT, {}))).resolves.toEqual({
      protocolVersion: app.settings.supportedProtocolVersions[0],
    });
  });

  it('InitializeSession - twice - rejects with session.invalid_transition and appends nothing', async () => {
    const app = createTestApp();
    const id = await app.initializedSession();
    await app.takeEvents();

    await expect(app.commands.execute(new InitializeSessionCommand(id, '2025-06-18', CLIENT, {}))).rejects.toMatchObject({
      code: 'session.invalid_transition',
    });
    expect(await app.takeEvents()).toEqual([]);
  });

  it('InitializeSession - blank client name - rejects with value.invalid and the session stays CREATED', async () => {
    const app = createTestApp();
    const id = await app.openSession();

    await expect(app.commands.execute(new InitializeSessionCommand(id, '2025-06-18', { name: '  ', version: '1' }, {}))).rejects.toMatchObject({
      code: 'value.invalid',
    });
    await expect(app.queries.execute(new GetSessionQuery(id))).resolves.toMatchObject({ state: 'CREATED' });
  });

  it('InitializeSession - unknown session - rejects with session.not_found', async () => {
    const app = createTestApp();

    const attempt = app.commands.execute(new InitializeSessionCommand('nope', '2025-06-18', CLIENT, {}));

    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({ code: 'session.not_found' });
  });

  it('MarkSessionReady - after initialize - READY with session.ready appended', async () => {
    const app = createTestApp();
    const id = await app.initializedSession();
    await app.takeEvents();

    await app.commands.execute(new MarkSessionReadyCommand(id));

    await expect(app.queries.execute(new GetSessionQuery(id))).resolves.toMatchObject({ state: 'READY' });
    expect((await app.takeEvents()).map((e) => e.type)).toEqual(['session.ready']);
  });

  it('MarkSessionReady - before initialize - rejects with session.invalid_transition', async () => {
    const app = createTestApp();
    const id = await app.openSession();

    await expect(app.commands.execute(new MarkSessionReadyCommand(id))).rejects.toMatchObject({ code: 'session.invalid_transition' });
    await expect(app.queries.execute(new GetSessionQuery(id))).resolves.toMatchObject({ state: 'CREATED' });
  });

  it('SetLogLevel - READY session - stores the level and appends session.log_level_changed', async () => {
    const app = createTestApp();
    const id = await app.readySession();
    await app.takeEvents();

    await expect(app.commands.execute(new SetLogLevelCommand(id, 'warning'))).resolves.toEqual({ level: 'warning' });

    await expect(app.queries.execute(new GetSessionQuery(id))).resolves.toMatchObject({ logLevel: 'warning' });
    expect((await app.takeEvents()).map((e) => [e.type, e.data])).toEqual([['session.log_level_changed', { level: 'warning' }]]);
  });

  it('SetLogLevel - unknown level - rejects with value.invalid and keeps the level', async () => {
    const app = createTestApp();
    const id = await app.readySession();

    await expect(app.commands.execute(new SetLogLevelCommand(id, 'loud'))).rejects.toMatchObject({ code: 'value.invalid' });
    await expect(app.queries.execute(new GetSessionQuery(id))).resolves.toMatchObject({ logLevel: 'info' });
  });

  it('SetLogLevel - session not initialized - rejects with session.not_operational', async () => {
    const app = createTestApp();
    const id = await app.openSession();

    await expect(app.commands.execute(new SetLogLevelCommand(id, 'debug'))).rejects.toMatchObject({ code: 'session.not_operational' });
  });

  it('CloseSession - READY session - closed: true, CLOSED with reason, closing and closed appended', async () => {
    const app = createTestApp();
    const id = await app.readySession();
    await app.takeEvents();
    app.clock.advance(2_000);

    await expect(app.commands.execute(new CloseSessionCommand(id, 'client disconnected'))).resolves.toEqual({ closed: true });

    await expect(app.queries.execute(new GetSessionQuery(id))).resolves.toMatchObject({ state: 'CLOSED', closeReason: 'client disconnected' });
    const events = await app.takeEvents();
    expect(events.map((e) => e.type)).toEqual(['session.closing', 'session.closed']);
    expect(events[1]?.data).toEqual({ reason: 'client disconnected', durationMs: 2_000 });
  });

  it('CloseSession - twice - the second answers closed: false and appends nothing', async () => {
    const app = createTestApp();
    const id = await app.readySession();
    await app.commands.execute(new CloseSessionCommand(id, 'first'));
    await app.takeEvents();

    await expect(app.commands.execute(new CloseSessionCommand(id, 'second'))).resolves.toEqual({ closed: false });

    expect(await app.takeEvents()).toEqual([]);
    await expect(app.queries.execute(new GetSessionQuery(id))).resolves.toMatchObject({ closeReason: 'first' });
  });

  it('CloseSession - never initialized - still closes', async () => {
    const app = createTestApp();
    const id = await app.openSession();

    await expect(app.commands.execute(new CloseSessionCommand(id, 'gone'))).resolves.toEqual({ closed: true });
  });

  it('GetSession - unknown id - rejects with session.not_found', async () => {
    const app = createTestApp();
    await expect(app.queries.execute(new GetSessionQuery('missing'))).rejects.toMatchObject({ code: 'session.not_found' });
  });

  it('GetSession - snapshot mutated by the caller - the stored session is unchanged', async () => {
    const app = createTestApp();
    const id = await app.readySession();
    const snapshot = (await app.queries.execute(new GetSessionQuery(id))) as { state: string };

    snapshot.state = 'CLOSED';

    await expect(app.queries.execute(new GetSessionQuery(id))).resolves.toMatchObject({ state: 'READY' });
  });
});

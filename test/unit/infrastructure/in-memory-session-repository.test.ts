import { DomainError } from '../../../src/domain/shared/domain-error.js';
import { ClientCapabilities, ClientInfo } from '../../../src/domain/session/client-info.js';
import { Session } from '../../../src/domain/session/session.js';
import { InMemoryOutbox } from '../../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemorySessionRepository } from '../../../src/infrastructure/persistence/memory/in-memory-session-repository.js';
import { RecordingLogger } from '../../support/builders.js';
import { fixedMeta } from '../../support/fixed-clock.js';

function setup(closedRetention = 100) {
  const outbox = new InMemoryOutbox(10_000, new RecordingLogger());
  const repository = new InMemorySessionRepository(outbox, closedRetention);
  const { meta } = fixedMeta();
  const newSession = (id: string) => Session.create(id, 'memory', meta);
  const events = async () => (await outbox.claim(1_000)).map((entry) => entry.event);
  return { outbox, repository, newSession, events };
}

async function saveClosed(repository: InMemorySessionRepository, session: Session): Promise<void> {
  await repository.save(session);
  session.close('done');
  await repository.save(session);
}

describe('InMemorySessionRepository', () => {
  it('get - unknown id - rejects with DomainError session.not_found', async () => {
    const { repository } = setup();

    const attempt = repository.get('missing');

    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({ code: 'session.not_found' });
  });

  it('save then get - returns the same live aggregate (identity map)', async () => {
    const { repository, newSession } = setup();
    const session = newSession('s-1');

    await repository.save(session);

    await expect(repository.get('s-1')).resolves.toBe(session);
  });

  it('save - appends the pulled events to the outbox, in order, and leaves none pending on the aggregate', async () => {
    const { repository, newSession, events } = setup();
    const session = newSession('s-1');
    session.initialize('2025-06-18', ['2025-06-18'], ClientInfo.of({ name: 'c', version: '1' }), ClientCapabilities.of({}));

    await repository.save(session);

    expect((await events()).map((e) => e.type)).toEqual(['session.created', 'session.initialized']);
    expect(session.pullEvents()).toEqual([]);
  });

  it('save - twice without changes - appends nothing the second time', async () => {
    const { repository, newSession, outbox } = setup();
    const session = newSession('s-1');
    await repository.save(session);
    await outbox.markPublished((await outbox.claim(100)).map((e) => e.event.id));

    await repository.save(session);

    expect(await outbox.pending()).toBe(0);
  });

  it('closed-session retention 2 - a third closed session evicts the oldest closed one', async () => {
    const { repository, newSession } = setup(2);
    for (const id of ['a', 'b', 'c']) await saveClosed(repository, newSession(id));

    await expect(repository.get('a')).rejects.toMatchObject({ code: 'session.not_found' });
    await expect(repository.get('b')).resolves.toBeDefined();
    await expect(repository.get('c')).resolves.toBeDefined();
  });

  it('closed-session retention - open sessions are never evicted', async () => {
    const { repository, newSession } = setup(1);
    await repository.save(newSession('open-1'));
    await repository.save(newSession('open-2'));
    for (const id of ['a', 'b', 'c']) await saveClosed(repository, newSession(id));

    await expect(repository.get('open-1')).resolves.toBeDefined();
    await expect(repository.get('open-2')).resolves.toBeDefined();
    await expect(repository.get('c')).resolves.toBeDefined();
    expect(await repository.countByState()).toMatchObject({ CREATED: 2, CLOSED: 1 });
  });

  it('closed-session retention - re-saving a closed session does not count it twice', async () => {
    const { repository, newSession } = setup(2);
    const a = newSession('a');
    await saveClosed(repository, a);
    await repository.save(a);
    await repository.save(a);

    await saveClosed(repository, newSession('b'));

    await expect(repository.get('a')).resolves.toBe(a);
    await expect(repository.get('b')).resolves.toBeDefined();
  });

  it('closed-session retention 0 - a closed session is forgotten as soon as it is saved; its events still reach the outbox', async () => {
    const { repository, newSession, events } = setup(0);
    await saveClosed(repository, newSession('a'));

    await expect(repository.get('a')).rejects.toMatchObject({ code: 'session.not_found' });
    expect((await events()).map((e) => e.type)).toEqual(['session.created', 'session.closing', 'session.closed']);
  });

  it('countByState - reports every state, zeros included', async () => {
    const { repository, newSession } = setup();
    await repository.save(newSession('created'));
    const ready = newSession('ready');
    ready.initialize('2025-06-18', ['2025-06-18'], ClientInfo.of({ name: 'c', version: '1' }), ClientCapabilities.of({}));
    ready.markReady();
    await repository.save(ready);
    await saveClosed(repository, newSession('closed'));

    await expect(repository.countByState()).resolves.toEqual({ CREATED: 1, INITIALIZING: 0, READY: 1, CLOSING: 0, CLOSED: 1 });
  });

  it('countByState - empty repository - all zeros', async () => {
    const { repository } = setup();
    await expect(repository.countByState()).resolves.toEqual({ CREATED: 0, INITIALIZING: 0, READY: 0, CLOSING: 0, CLOSED: 0 });
  });
});

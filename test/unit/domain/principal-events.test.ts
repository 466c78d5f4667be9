import { authorizationDenied } from '../../../src/domain/auth/authorization.events.js';
import { Grants } from '../../../src/domain/auth/grants.js';
import { ANONYMOUS, eventActorOf, localPrincipal, principalFromSnapshot, principalSnapshot, type Principal } from '../../../src/domain/auth/principal.js';
import { ClientCapabilities, ClientInfo } from '../../../src/domain/session/client-info.js';
import { Session } from '../../../src/domain/session/session.js';
import { domainEvent } from '../../../src/domain/shared/domain-event.js';
import { Task } from '../../../src/domain/task/task.js';
import { ToolExecution } from '../../../src/domain/tool/tool-execution.js';
import { Conversation } from '../../../src/domain/conversation/conversation.js';
import { domainErrorOf } from '../../support/builders.js';
import { fixedMeta } from '../../support/fixed-clock.js';

const CI: Principal = Object.freeze({ id: 'key:ci', kind: 'api-key', grants: Grants.parse(['tools:read_file', 'resources:file']), tenant: 'acme', rateLimitClass: 'batch' });
const TRACE = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

describe('domainEvent with an actor', () => {
  const meta = { id: 'e-1', occurredAt: new Date(Date.UTC(2026, 10, 21, 8, 30, 0, 123)) };
  const actor = { id: 'key:ci', kind: 'api-key' };

  it.each([
    ['no session, no trace', undefined, undefined, ['id', 'type', 'version', 'aggregateType', 'aggregateId', 'actor', 'occurredAt', 'data']],
    ['a session', 's-1', undefined, ['id', 'type', 'version', 'aggregateType', 'aggregateId', 'sessionId', 'actor', 'occurredAt', 'data']],
    ['a trace', undefined, TRACE, ['id', 'type', 'version', 'aggregateType', 'aggregateId', 'trace', 'actor', 'occurredAt', 'data']],
    ['a session and a trace', 's-1', TRACE, ['id', 'type', 'version', 'aggregateType', 'aggregateId', 'sessionId', 'trace', 'actor', 'occurredAt', 'data']],
  ])('%s - the actor rides in the envelope before occurredAt, and nothing undefined is keyed', (_case, sessionId, trace, keys) => {
    const event = domainEvent('tool_execution', 'x-1', 'tool.executed', { n: 1 }, meta, sessionId, trace, actor);

    expect(Object.keys(event)).toEqual(keys);
    expect(event.actor).toBe(actor);
    expect(event).toMatchObject({ id: 'e-1', type: 'tool.executed', version: 1, occurredAt: '2026-11-21T08:30:00.123Z', data: { n: 1 } });
  });

  it('no actor - the envelope is byte for byte what it was before principals existed', () => {
    const event = domainEvent('tool', 'echo', 'tool.registered', {}, meta, undefined, undefined, undefined);

    expect(JSON.stringify(event)).toBe('{"id":"e-1","type":"tool.registered","version":1,"aggregateType":"tool","aggregateId":"echo","occurredAt":"2026-11-21T08:30:00.123Z","data":{}}');
  });
});

describe('eventActorOf', () => {
  it('the anonymous caller - no actor (a server without auth writes none)', () => {
    expect(eventActorOf(ANONYMOUS)).toBeUndefined();
  });

  it('a principal - id, kind and tenant only (no grants, class or expiry), the same frozen object every time', () => {
    const actor = eventActorOf(CI);

    expect(actor).toEqual({ id: 'key:ci', kind: 'api-key', tenant: 'acme' });
    expect(Object.isFrozen(actor)).toBe(true);
    expect(eventActorOf(CI)).toBe(actor);
    expect(eventActorOf(localPrincipal('alice'))).toEqual({ id: 'local:alice', kind: 'local-stdio' });
  });
});

describe('principal snapshots', () => {
  it('round trip - id, kind, canonical grants, tenant and rate limit class survive; grants still decide', () => {
    const snapshot = principalSnapshot(CI);
    const back = principalFromSnapshot(JSON.parse(JSON.stringify(snapshot)));

    expect(snapshot).toEqual({ id: 'key:ci', kind: 'api-key', grants: ['tools:read_file', 'resources:file'], tenant: 'acme', rateLimitClass: 'batch' });
    expect(back).toMatchObject({ id: 'key:ci', kind: 'api-key', tenant: 'acme', rateLimitClass: 'batch' });
    expect(back.grants.allowsTool('read_file')).toBe(true);
    expect(back.grants.allowsTool('write_file')).toBe(false);
    expect(back.grants.allowsResource('file:///etc/hostname')).toBe(true);
  });

  it('without tenant or class - no such keys', () => {
    expect(Object.keys(principalSnapshot(localPrincipal('alice')))).toEqual(['id', 'kind', 'grants']);
  });
});

describe('Session and its principal', () => {
  const CLIENT = ClientInfo.of({ name: 'claude-desktop', version: '1.2.3' });

  it('created without one - the anonymous caller, no actor on its events, no principal in its snapshot', () => {
    const { meta } = fixedMeta();
    const session = Session.create('s-1', 'http', meta);
    session.initialize('2025-06-18', ['2025-06-18'], CLIENT, ClientCapabilities.of({}));

    expect(session.principal).toBe(ANONYMOUS);
    expect(session.pullEvents().every((event) => !('actor' in event))).toBe(true);
    expect('principal' in session.snapshot()).toBe(false);
  });

  it('created by a principal - every event of its lifecycle carries the actor; a restored copy knows the principal and keeps recording it', () => {
    const { meta } = fixedMeta();
    const session = Session.create('s-1', 'http', meta, 'info', CI);
    session.initialize('2025-06-18', ['2025-06-18'], CLIENT, ClientCapabilities.of({}));
    session.markReady();
    const events = session.pullEvents();

    const restored = Session.restore(JSON.parse(JSON.stringify(session.snapshot())), meta);
    restored.close('bye');

    expect(events.map((e) => [e.type, e.actor])).toEqual([
      ['session.created', { id: 'key:ci', kind: 'api-key', tenant: 'acme' }],
      ['session.initialized', { id: 'key:ci', kind: 'api-key', tenant: 'acme' }],
      ['session.ready', { id: 'key:ci', kind: 'api-key', tenant: 'acme' }],
    ]);
    expect(session.snapshot().principal).toEqual(principalSnapshot(CI));
    expect(restored.principal).toMatchObject({ id: 'key:ci', kind: 'api-key', rateLimitClass: 'batch' });
    expect(restored.principal.grants.allowsTool('write_file')).toBe(false);
    expect(restored.pullEvents().map((e) => e.actor)).toEqual([
      { id: 'key:ci', kind: 'api-key', tenant: 'acme' },
      { id: 'key:ci', kind: 'api-key', tenant: 'acme' },
    ]);
  });
});

describe('authorization.denied', () => {
  it('data - who, what was asked as one line, and the grant it lacked; aggregate = the principal; session, trace and actor in the envelope', () => {
    const event = authorizationDenied(CI, { method: 'tools/call', target: 'write_file', missingGrant: 'tools:write_file' }, { id: 'e-1', occurredAt: new Date(0) }, 's-1', TRACE, eventActorOf(CI));

    expect(event).toMatchObject({
      type: 'authorization.denied',
      version: 1,
      aggregateType: 'authorization',
      aggregateId: 'key:ci',
      sessionId: 's-1',
      trace: TRACE,
      actor: { id: 'key:ci', kind: 'api-key', tenant: 'acme' },
      data: { principal: 'key:ci', principalKind: 'api-key', tenant: 'acme', method: 'tools/call', target: 'write_file', asked: 'tools/call write_file', missingGrant: 'tools:write_file' },
    });
  });

  it('a long target - cut to 512 characters in the event', () => {
    const uri = `file:///${'a'.repeat(5000)}`;

    const event = authorizationDenied(localPrincipal('bob', Grants.none()), { method: 'resources/read', target: uri, missingGrant: 'resources:file' }, { id: 'e-2', occurredAt: new Date(0) });

    expect(event.data.target).toHaveLength(512);
    expect(event.data.asked).toBe(`resources/read ${uri.slice(0, 512)}`);
    expect('tenant' in event.data).toBe(false);
  });
});

describe('Grants.allowsEvery', () => {
  it('only a wildcard of that kind', () => {
    const grants = Grants.parse(['tools:*', 'resources:file']);

    expect(grants.allowsEvery('tools')).toBe(true);
    expect(grants.allowsEvery('resources')).toBe(false);
    expect(grants.allowsEvery('prompts')).toBe(false);
    expect(['tools', 'resources', 'prompts'].every((kind) => Grants.everything().allowsEvery(kind as 'tools'))).toBe(true);
  });
});

describe('actors on the other aggregates', () => {
  const actor = { id: 'key:ci', kind: 'api-key' };

  it('ToolExecution - both outcomes carry the caller\'s actor', () => {
    const { clock, meta } = fixedMeta();
    const ok = ToolExecution.start('x-1', { sessionId: 's-1', principal: 'key:ci' }, 'echo', clock.now(), meta, actor);
    ok.succeed();
    const failed = ToolExecution.start('x-2', 's-1', 'echo', clock.now(), meta);
    failed.fail('error', 'boom', false);

    expect(ok.pullEvents()).toEqual([expect.objectContaining({ type: 'tool.executed', actor, data: expect.objectContaining({ principal: 'key:ci' }) })]);
    expect('actor' in failed.pullEvents()[0]).toBe(false);
  });

  it('Task - every event carries the actor, which must be the task\'s principal', () => {
    const { meta } = fixedMeta();
    const init = { id: 't-1', principal: 'key:ci', method: 'tools/call', name: 'echo', ttlMs: 1000, pollIntervalMs: 100, ownerReplica: 'r-1', actor };
    const task = Task.create(init, meta);
    task.cancel();

    expect(task.pullEvents().map((e) => [e.type, e.actor])).toEqual([
      ['task.created', actor],
      ['task.cancel_requested', actor],
      ['task.status_changed', actor],
    ]);
    expect(Task.restore(JSON.parse(JSON.stringify(task.snapshot())), meta).snapshot().actor).toEqual(actor);
    expect(domainErrorOf(() => Task.create({ ...init, actor: { id: 'key:other', kind: 'api-key' } }, meta)).code).toBe('value.invalid');
  });

  it('Conversation - started with the actor; a later turn records the actor it is given', () => {
    const { meta } = fixedMeta();
    const conversation = Conversation.start({ id: 'c-1', ownerId: 'key:ci', model: 'm', actor }, meta);
    const started = conversation.pullEvents();
    conversation.setEventOrigin('s-2', { id: 'key:ci', kind: 'api-key', tenant: 'acme' });
    conversation.addMessage('user', [{ type: 'text', text: 'hi' }]);

    expect(started[0]).toMatchObject({ type: 'conversation.started', actor });
    expect(conversation.pullEvents()[0]).toMatchObject({ type: 'conversation.message_added', sessionId: 's-2', actor: { id: 'key:ci', tenant: 'acme' } });
  });
});

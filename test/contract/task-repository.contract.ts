import type { Outbox } from '../../src/application/ports/outbox.js';
import type { TaskSignal, TaskSignals } from '../../src/application/tasks/task-signals.js';
import { DomainError } from '../../src/domain/shared/domain-error.js';
import type { EventMetaSource } from '../../src/domain/shared/event-meta-source.js';
import { Task, type NewTask, type TaskStatus } from '../../src/domain/task/task.js';
import { TaskVersionConflict, type TaskRepository } from '../../src/domain/task/task.repository.js';
import { fixedMeta, T0 } from '../support/fixed-clock.js';
import { drainOutbox, eventually } from './outbox.contract.js';

export interface TaskRepositoryFixture {
  readonly repository: TaskRepository;
  /** Another replica's repository over the same storage (the same instance when storage is one process). */
  readonly other: TaskRepository;
  /** Signals as a listener next to `repository` receives them. */
  readonly signals: TaskSignals;
  /** The outbox `repository`'s writes append to. */
  readonly outbox: Outbox;
  teardown?(): Promise<void>;
}

const ELICIT = { method: 'elicitation/create', params: { mode: 'form', message: 'Delete "x"? ✓', requestedSchema: { type: 'object' } } };
const RESULT = { content: [{ type: 'text', text: 'line 1\nline "2" ✓' }], structuredContent: { exitCode: 0, nested: [1, null, { a: 'b' }] }, isError: false };
const at = (ms: number) => new Date(T0.getTime() + ms);

/** TaskRepository's behaviour; the factory gets the EventMetaSource the tasks use (a restoring repository needs it). */
export function describeTaskRepositoryContract(name: string, factory: (meta: EventMetaSource) => Promise<TaskRepositoryFixture>): void {
  describe(`TaskRepository contract: ${name}`, () => {
    let ctx: ReturnType<typeof fixedMeta>;
    let fx: TaskRepositoryFixture;
    beforeEach(async () => {
      ctx = fixedMeta();
      fx = await factory(ctx.meta);
    });
    afterEach(async () => {
      await fx.teardown?.();
    });

    const newTask = (id: string, overrides: Partial<NewTask> = {}) =>
      Task.create(
        { id, principal: 'alice', method: 'tools/call', name: 'execute_command', ttlMs: 60_000, pollIntervalMs: 1_000, ownerReplica: 'replica-a', ...overrides },
        ctx.meta,
      );
    const created = async (id: string, overrides: Partial<NewTask> = {}) => {
      const task = newTask(id, overrides);
      await expect(fx.repository.create(task, 100)).resolves.toBe(true);
      return task;
    };
    /** A stored task moved to `status` through real saves. */
    const storedIn = async (id: string, status: TaskStatus, overrides: Partial<NewTask> = {}) => {
      const task = await created(id, overrides);
      if (status === 'input_required') task.requestInput({ q: ELICIT }, 'waiting');
      if (status === 'completed') task.complete(RESULT);
      if (status === 'failed') task.fail({ code: -32603, message: 'boom', data: { at: 'step 2' } });
      if (status === 'cancelled') task.cancel();
      await fx.repository.save(task);
      return task;
    };

    it('get - unknown id - rejects with DomainError task.not_found', async () => {
      const attempt = fx.repository.get('missing');

      await expect(attempt).rejects.toBeInstanceOf(DomainError);
      await expect(attempt).rejects.toMatchObject({ code: 'task.not_found' });
      await expect(fx.repository.get('nul\u0000id')).rejects.toMatchObject({ code: 'task.not_found' });
    });

    it('create then get - the snapshot round-trips exactly, trace and odd text included, at version 1', async () => {
      const task = await created(`it's "odd" ✓ ${'x'.repeat(200)}`, {
        principal: 'bob "the" builder ✓',
        trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'a=1,b=2' },
      });

      const loaded = await fx.repository.get(task.id);

      expect(loaded.version).toBe(1);
      expect(task.version).toBe(1);
      expect(loaded.snapshot()).toEqual(task.snapshot());
      await expect(fx.repository.get(task.id.toUpperCase())).rejects.toMatchObject({ code: 'task.not_found' });
    });

    it('an actor - kept with the task, so a copy loaded elsewhere records it on the events of its later changes', async () => {
      const actor = { id: 'key:ci', kind: 'api-key', tenant: 'acme "corp" ✓' };
      const task = await created('t-actor', { principal: 'key:ci', actor });

      const loaded = await fx.repository.get(task.id);
      loaded.cancel();

      expect(loaded.snapshot().actor).toEqual(actor);
      expect(loaded.pullEvents().map((e) => e.actor)).toEqual([actor, actor]);
    });

    it.each<TaskStatus>(['working', 'input_required', 'completed', 'failed', 'cancelled'])(
      'save then get - status %s - the snapshot round-trips exactly',
      async (status) => {
        const task = await storedIn(`t-${status}`, status);

        const loaded = await fx.repository.get(task.id);

        expect(loaded.snapshot()).toEqual(task.snapshot());
        expect(loaded.status).toBe(status);
      },
    );

    it('create and save - append the pulled events to the outbox once, in order; an unchanged task appends nothing', async () => {
      const task = await created('t-1');
      task.requestInput({ q: ELICIT });
      await fx.repository.save(task);
      await fx.repository.save(task);
      await fx.repository.save(await fx.repository.get('t-1'));

      const events = await drainOutbox(fx.outbox);
      expect(events.map((e) => e.type)).toEqual(['task.created', 'task.input_requested', 'task.status_changed']);
      expect(events.map((e) => e.id)).toEqual(['evt-1', 'evt-2', 'evt-3']);
      expect(events[0]).toMatchObject({ aggregateType: 'task', aggregateId: 't-1', version: 1, data: { taskId: 't-1', principal: 'alice', status: 'working' } });
      expect(task.pullEvents()).toEqual([]);
    });

    it('get, change, save - the loaded copy keeps working and bumps the version each time', async () => {
      await storedIn('t-1', 'input_required');

      const loaded = await fx.repository.get('t-1');
      expect(loaded.receiveInput({ q: { action: 'accept', content: { confirm: true } } })).toEqual(['q']);
      await fx.repository.save(loaded);

      const reloaded = await fx.repository.get('t-1');
      expect(reloaded.version).toBe(3);
      expect(reloaded.status).toBe('working');
      expect(reloaded.responsesFor(['q'])).toEqual({ q: { action: 'accept', content: { confirm: true } } });
    });

    it('save - another copy saved first - rejects with TaskVersionConflict and keeps the first save', async () => {
      await created('t-1');
      const first = await fx.repository.get('t-1');
      const second = await fx.other.get('t-1');

      first.complete(RESULT);
      await fx.repository.save(first);
      second.cancel();
      const attempt = fx.other.save(second);

      await expect(attempt).rejects.toBeInstanceOf(TaskVersionConflict);
      const stored = await fx.repository.get('t-1');
      expect(stored.status).toBe('completed');
      expect(stored.snapshot().cancelRequested).toBe(false);
    });

    it('save - a task deleted meanwhile - rejects with task.not_found', async () => {
      const task = await created('t-1', { ttlMs: 1_000 });
      await fx.repository.deleteExpired(at(1_000));

      task.complete(RESULT);

      await expect(fx.repository.save(task)).rejects.toMatchObject({ code: 'task.not_found' });
    });

    it('create - the principal holds the maximum of live tasks - returns false and stores nothing', async () => {
      await created('live-1');
      await created('live-2');
      await storedIn('done', 'completed');
      await storedIn('other-principal', 'working', { principal: 'bob' });

      const refused = newTask('t-3');
      await expect(fx.repository.create(refused, 2)).resolves.toBe(false);
      await expect(fx.repository.get('t-3')).rejects.toMatchObject({ code: 'task.not_found' });
      await expect(fx.repository.create(newTask('t-4', { principal: 'carol' }), 2)).resolves.toBe(true);
    });

    it('create - racing creations of one principal on two repositories - never exceed the maximum', async () => {
      const attempts = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? fx.repository : fx.other).create(newTask(`race-${i}`), 3));

      const results = await Promise.all(attempts);

      expect(results.filter(Boolean)).toHaveLength(3);
      await expect(fx.repository.countLive('alice')).resolves.toBe(3);
    });

    it('countLive - counts working and input_required tasks of that principal only', async () => {
      await storedIn('a', 'working');
      await storedIn('b', 'input_required');
      await storedIn('c', 'completed');
      await storedIn('d', 'failed');
      await storedIn('e', 'cancelled');
      await storedIn('f', 'working', { principal: 'bob' });

      await expect(fx.repository.countLive('alice')).resolves.toBe(2);
      await expect(fx.repository.countLive('bob')).resolves.toBe(1);
      await expect(fx.repository.countLive('nobody')).resolves.toBe(0);
    });

    it('countByStatus - every principal, by status; none stored: empty', async () => {
      await expect(fx.repository.countByStatus()).resolves.toEqual({});
      await storedIn('a', 'working');
      await storedIn('b', 'working', { principal: 'bob' });
      await storedIn('c', 'completed');
      await storedIn('d', 'cancelled');

      await expect(fx.repository.countByStatus()).resolves.toEqual({ working: 2, completed: 1, cancelled: 1 });
    });

    it('find - returns the tasks among the ids that exist', async () => {
      await created('a');
      await storedIn('b', 'completed');

      const found = await fx.repository.find(['a', 'missing', 'b']);

      expect(found.map((task) => [task.id, task.status]).sort()).toEqual([
        ['a', 'working'],
        ['b', 'completed'],
      ]);
      await expect(fx.repository.find([])).resolves.toEqual([]);
    });

    it('two repositories on one storage - each sees and changes the rows the other wrote', async () => {
      await created('t-1');

      const seen = await fx.other.get('t-1');
      seen.cancel();
      await fx.other.save(seen);

      expect((await fx.repository.get('t-1')).status).toBe('cancelled');
      await expect(fx.other.countLive('alice')).resolves.toBe(0);
    });

    it('heartbeat - moves the owner\u2019s live rows forward only; no version bump, so a loaded copy still saves', async () => {
      await created('mine');
      await created('theirs', { ownerReplica: 'replica-b' });
      await storedIn('done', 'completed');
      const loaded = await fx.repository.get('mine');

      await fx.other.heartbeat('replica-a', ['mine', 'theirs', 'done'], at(20_000));
      await fx.other.heartbeat('replica-a', ['mine'], at(10_000));

      const orphans = await fx.repository.orphaned(at(15_000), 10);
      expect(orphans.map((task) => task.id)).toEqual(['theirs']);
      expect((await fx.repository.get('mine')).snapshot().heartbeatAt).toBe(at(20_000).toISOString());
      loaded.complete(RESULT);
      await expect(fx.repository.save(loaded)).resolves.toBeUndefined();
      expect((await fx.repository.get('mine')).snapshot().heartbeatAt).toBe(at(20_000).toISOString());
    });

    it('orphaned - live tasks whose heartbeat is older than the bound, oldest first, up to the limit', async () => {
      await storedIn('oldest', 'input_required');
      ctx.clock.advance(1_000);
      await created('older');
      ctx.clock.advance(1_000);
      await created('fresh');
      ctx.clock.advance(1_000);
      await storedIn('ended', 'failed');

      await expect(fx.repository.orphaned(at(2_000), 10).then((tasks) => tasks.map((t) => t.id))).resolves.toEqual(['oldest', 'older']);
      await expect(fx.repository.orphaned(at(2_000), 1).then((tasks) => tasks.map((t) => t.id))).resolves.toEqual(['oldest']);
      await expect(fx.repository.orphaned(at(0), 10)).resolves.toEqual([]);
    });

    it('deleteExpired - deletes every task at or past createdAt + ttlMs, live or not, and counts them', async () => {
      await created('short', { ttlMs: 1_000 });
      await storedIn('short-done', 'completed', { ttlMs: 1_000 });
      await created('long', { ttlMs: 5_000 });

      await expect(fx.repository.deleteExpired(at(999))).resolves.toBe(0);
      await expect(fx.other.deleteExpired(at(1_000))).resolves.toBe(2);

      await expect(fx.repository.get('short')).rejects.toMatchObject({ code: 'task.not_found' });
      await expect(fx.repository.get('short-done')).rejects.toMatchObject({ code: 'task.not_found' });
      expect((await fx.repository.get('long')).status).toBe('working');
      await expect(fx.repository.deleteExpired(at(1_000))).resolves.toBe(0);
    });

    describe('signals', () => {
      let received: TaskSignal[];
      let stop: () => void;
      beforeEach(() => {
        received = [];
        stop = fx.signals.listen((signal) => received.push(signal));
      });
      afterEach(() => stop());

      it('a cancel saved through the other repository reaches the listener as a cancel signal', async () => {
        await created('t-1');
        await waitForListener(fx);

        const seen = await fx.other.get('t-1');
        seen.cancel();
        await fx.other.save(seen);

        await eventually(() => received.length > 0, 5_000, 'the cancel signal');
        expect(received).toEqual([{ taskId: 't-1', kind: 'cancel' }]);
      });

      it('answers saved through the other repository reach the listener as an input signal; other saves send none', async () => {
        await storedIn('quiet', 'completed');
        await storedIn('t-1', 'input_required');
        await waitForListener(fx);

        const seen = await fx.other.get('t-1');
        seen.receiveInput({ q: { action: 'accept' } });
        await fx.other.save(seen);

        await eventually(() => received.length > 0, 5_000, 'the input signal');
        expect(received).toEqual([{ taskId: 't-1', kind: 'input' }]);
      });

      it('a save that lost to a conflict sends nothing', async () => {
        await created('t-1');
        await waitForListener(fx);
        const stale = await fx.other.get('t-1');
        const winner = await fx.repository.get('t-1');
        winner.complete(RESULT);
        await fx.repository.save(winner);

        stale.cancel();
        await expect(fx.other.save(stale)).rejects.toBeInstanceOf(TaskVersionConflict);
        // A later signal proves the listener was live when the conflicting save ran.
        const probe = await created('probe');
        probe.cancel();
        await fx.other.save(probe);

        await eventually(() => received.length > 0, 5_000, 'the probe signal');
        expect(received).toEqual([{ taskId: 'probe', kind: 'cancel' }]);
        expect((await fx.repository.get('t-1')).status).toBe('completed');
      });
    });
  });
}

/** Adapters whose listener connects asynchronously expose `ready()`; others deliver at once. */
async function waitForListener(fx: TaskRepositoryFixture): Promise<void> {
  const ready = (fx.signals as Partial<{ ready(): Promise<void> }>).ready;
  if (ready) await ready.call(fx.signals);
}

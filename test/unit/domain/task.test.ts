import { DomainError } from '../../../src/domain/shared/domain-error.js';
import { Task, type NewTask, type TaskStatus } from '../../../src/domain/task/task.js';
import { domainErrorOf as thrown } from '../../support/builders.js';
import { fixedMeta, T0 } from '../../support/fixed-clock.js';

const TRACE = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=1' };
const INIT: NewTask = {
  id: 't-1',
  principal: 'alice',
  method: 'tools/call',
  name: 'execute_command',
  ttlMs: 60_000,
  pollIntervalMs: 1_000,
  ownerReplica: 'replica-a',
  trace: TRACE,
};
const ELICIT = { method: 'elicitation/create', params: { mode: 'form', message: 'Delete?', requestedSchema: { type: 'object' } } };

function fresh() {
  const ctx = fixedMeta();
  const task = Task.create(INIT, ctx.meta);
  task.pullEvents();
  return { ...ctx, task };
}

/** A task driven through the real transitions to `status`, its events pulled. */
function taskIn(status: TaskStatus) {
  const ctx = fresh();
  const { task } = ctx;
  if (status === 'input_required') task.requestInput({ a: ELICIT });
  if (status === 'completed') task.complete({ content: [{ type: 'text', text: 'done' }] });
  if (status === 'failed') task.fail({ code: -32603, message: 'boom' });
  if (status === 'cancelled') task.cancel();
  task.pullEvents();
  return ctx;
}

describe('Task', () => {
  it('create - new task - is working, times from the clock, and records task.created with the trace', () => {
    const { meta } = fixedMeta();
    const task = Task.create(INIT, meta);

    expect(task.status).toBe('working');
    expect(task.isLive).toBe(true);
    expect(task.version).toBe(0);
    expect(task.snapshot()).toEqual({
      ...INIT,
      status: 'working',
      createdAt: T0.toISOString(),
      lastUpdatedAt: T0.toISOString(),
      heartbeatAt: T0.toISOString(),
      cancelRequested: false,
      inputKeys: [],
      version: 0,
    });
    expect(task.pullEvents()).toEqual([
      {
        id: 'evt-1',
        type: 'task.created',
        version: 1,
        aggregateType: 'task',
        aggregateId: 't-1',
        occurredAt: T0.toISOString(),
        data: {
          taskId: 't-1',
          principal: 'alice',
          status: 'working',
          trace: TRACE,
          method: 'tools/call',
          name: 'execute_command',
          ttlMs: 60_000,
          pollIntervalMs: 1_000,
          ownerReplica: 'replica-a',
        },
      },
    ]);
  });

  it.each([
    ['an empty principal', { principal: '' }],
    ['a zero ttl', { ttlMs: 0 }],
    ['a fractional poll interval', { pollIntervalMs: 1.5 }],
    ['a ttl beyond 32 bits', { ttlMs: 2 ** 31 }],
  ])('create - %s - throws value.invalid', (_label, override) => {
    const { meta } = fixedMeta();
    expect(thrown(() => Task.create({ ...INIT, ...override }, meta)).code).toBe('value.invalid');
  });

  it('requestInput - working task - becomes input_required with the requests, message and status event', () => {
    const { task, clock } = fresh();
    clock.advance(500);

    task.requestInput({ confirm: ELICIT }, 'waiting for confirmation');

    expect(task.status).toBe('input_required');
    expect(task.snapshot()).toMatchObject({
      inputRequests: { confirm: ELICIT },
      statusMessage: 'waiting for confirmation',
      inputKeys: ['confirm'],
      lastUpdatedAt: new Date(T0.getTime() + 500).toISOString(),
    });
    expect(task.pullEvents().map((e) => [e.type, e.data])).toEqual([
      ['task.input_requested', { taskId: 't-1', principal: 'alice', status: 'input_required', trace: TRACE, keys: ['confirm'] }],
      [
        'task.status_changed',
        { taskId: 't-1', principal: 'alice', status: 'input_required', trace: TRACE, from: 'working', statusMessage: 'waiting for confirmation' },
      ],
    ]);
  });

  it('requestInput - while already waiting - adds the keys without another status change', () => {
    const { task } = taskIn('input_required');

    task.requestInput({ b: ELICIT });

    expect(Object.keys(task.snapshot().inputRequests ?? {})).toEqual(['a', 'b']);
    expect(task.pullEvents().map((e) => e.type)).toEqual(['task.input_requested']);
  });

  it('requestInput - a key used before in this task - throws value.invalid (keys are unique over the lifetime)', () => {
    const { task } = taskIn('input_required');
    task.receiveInput({ a: { action: 'accept' } });

    const error = thrown(() => task.requestInput({ a: ELICIT }));

    expect(error.code).toBe('value.invalid');
    expect(error.details).toEqual({ keys: ['a'] });
  });

  it('requestInput - no keys - throws value.invalid', () => {
    const { task } = fresh();
    expect(thrown(() => task.requestInput({})).code).toBe('value.invalid');
  });

  it('receiveInput - part of the outstanding keys - takes them, stays input_required with only the rest', () => {
    const { task } = taskIn('input_required');
    task.requestInput({ b: ELICIT });
    task.pullEvents();

    const taken = task.receiveInput({ a: { action: 'accept', content: { confirm: true } } });

    expect(taken).toEqual(['a']);
    expect(task.status).toBe('input_required');
    expect(Object.keys(task.snapshot().inputRequests ?? {})).toEqual(['b']);
    expect(task.responsesFor(['a'])).toEqual({ a: { action: 'accept', content: { confirm: true } } });
    expect(task.responsesFor(['a', 'b'])).toBeUndefined();
    expect(task.pullEvents().map((e) => [e.type, (e.data as { pending?: number }).pending])).toEqual([['task.input_received', 1]]);
  });

  it('receiveInput - the last outstanding key - works again, requests cleared, answers kept for the work', () => {
    const { task } = taskIn('input_required');

    task.receiveInput({ a: { action: 'decline' } });

    expect(task.status).toBe('working');
    expect(task.snapshot().inputRequests).toBeUndefined();
    expect(task.snapshot().statusMessage).toBeUndefined();
    expect(task.responsesFor(['a'])).toEqual({ a: { action: 'decline' } });
    expect(task.pullEvents().map((e) => e.type)).toEqual(['task.input_received', 'task.status_changed']);
  });

  it.each<TaskStatus>(['working', 'input_required', 'completed', 'cancelled'])(
    'receiveInput - keys that are not outstanding, task %s - ignored: nothing taken, no event',
    (status) => {
      const { task } = taskIn(status);

      expect(task.receiveInput({ unknown: { action: 'accept' } })).toEqual([]);
      expect(task.pullEvents()).toEqual([]);
    },
  );

  it('complete - working task - keeps the result (even an isError one) and records the status change', () => {
    const { task } = fresh();
    const result = { content: [{ type: 'text', text: 'exit 1' }], isError: true };

    task.complete(result);

    expect(task.status).toBe('completed');
    expect(task.isLive).toBe(false);
    expect(task.snapshot().result).toEqual(result);
    expect(task.pullEvents().map((e) => [e.type, e.data])).toEqual([
      ['task.status_changed', { taskId: 't-1', principal: 'alice', status: 'completed', trace: TRACE, from: 'working' }],
    ]);
  });

  it('complete - while waiting for input - ends the task and drops the outstanding requests and answers', () => {
    const { task } = taskIn('input_required');

    task.complete({ content: [] });

    const snapshot = task.snapshot();
    expect(snapshot.status).toBe('completed');
    expect(snapshot.inputRequests).toBeUndefined();
    expect(snapshot.statusMessage).toBeUndefined();
  });

  it('fail - keeps the JSON-RPC error, uses its message as statusMessage, and the event carries code and message only', () => {
    const { task } = fresh();

    task.fail({ code: -32603, message: 'executor unavailable', data: { secret: 'x' } });

    expect(task.snapshot()).toMatchObject({ status: 'failed', error: { code: -32603, message: 'executor unavailable', data: { secret: 'x' } }, statusMessage: 'executor unavailable' });
    expect(task.pullEvents()[0]?.data).toEqual({
      taskId: 't-1',
      principal: 'alice',
      status: 'failed',
      trace: TRACE,
      from: 'working',
      statusMessage: 'executor unavailable',
      error: { code: -32603, message: 'executor unavailable' },
    });
  });

  it.each<TaskStatus>(['working', 'input_required'])('cancel - %s task - records the request, then cancelled; returns true', (status) => {
    const { task } = taskIn(status);

    expect(task.cancel()).toBe(true);

    expect(task.status).toBe('cancelled');
    expect(task.snapshot().cancelRequested).toBe(true);
    expect(task.pullEvents().map((e) => [e.type, (e.data as { status: string }).status])).toEqual([
      ['task.cancel_requested', status],
      ['task.status_changed', 'cancelled'],
    ]);
  });

  it.each<TaskStatus>(['completed', 'failed', 'cancelled'])('cancel - %s task - an idempotent no-op: false, nothing changes, no event', (status) => {
    const { task } = taskIn(status);
    const before = task.snapshot();

    expect(task.cancel()).toBe(false);

    expect(task.snapshot()).toEqual(before);
    expect(task.pullEvents()).toEqual([]);
  });

  it.each<[TaskStatus, string, (task: Task) => void]>([
    ['completed', 'complete', (task) => task.complete({})],
    ['completed', 'fail', (task) => task.fail({ code: -32603, message: 'late' })],
    ['cancelled', 'complete', (task) => task.complete({})],
    ['failed', 'requestInput', (task) => task.requestInput({ z: ELICIT })],
  ])('terminal states are final - %s task, %s - throws task.invalid_transition naming from and to', (status, _op, change) => {
    const { task } = taskIn(status);

    const error = thrown(() => change(task));

    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('task.invalid_transition');
    expect(error.details).toMatchObject({ from: status });
    expect(task.status).toBe(status);
  });

  it('restore - a snapshot round-trips exactly and later events continue from it', () => {
    const { task, meta } = taskIn('input_required');
    task.stored(3);

    const restored = Task.restore(task.snapshot(), meta);
    restored.receiveInput({ a: { action: 'accept' } });

    expect(Task.restore(task.snapshot(), meta).snapshot()).toEqual(task.snapshot());
    expect(restored.version).toBe(3);
    expect(restored.status).toBe('working');
    expect(restored.pullEvents().map((e) => e.aggregateId)).toEqual(['t-1', 't-1']);
  });
});

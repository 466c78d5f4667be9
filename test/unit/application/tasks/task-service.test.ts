import { ApplicationError } from '../../../../src/application/application.errors.js';
import { ClientAnswerPending } from '../../../../src/application/ports/client-requests.js';
import { TaskAborted } from '../../../../src/application/tasks/local-run.js';
import { TaskService, type TaskServiceOptions } from '../../../../src/application/tasks/task-service.js';
import type { TaskSignals } from '../../../../src/application/tasks/task-signals.js';
import type { TaskView } from '../../../../src/application/tasks/task-view.js';
import type { TaskControl, TaskOrigin } from '../../../../src/application/tasks/task-work.js';
import { Task, type JsonObject } from '../../../../src/domain/task/task.js';
import { InMemoryOutbox } from '../../../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemoryTaskRepository } from '../../../../src/infrastructure/persistence/memory/in-memory-task-repository.js';
import { drainOutbox, eventually } from '../../../contract/outbox.contract.js';
import { RecordingLogger } from '../../../support/builders.js';
import { eventMetaFrom, FixedClock, SequentialIds, T0 } from '../../../support/fixed-clock.js';

const ORIGIN: TaskOrigin = { principal: 'alice', method: 'tools/call', name: 'execute_command', trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } };
const OPTIONS: TaskServiceOptions = { replicaId: 'replica-a', maxLivePerPrincipal: 4, ttlMs: 60_000, syncBudgetMs: 30, pollIntervalMs: 500 };
const ELICIT = { method: 'elicitation/create', params: { mode: 'form', message: 'Proceed?', requestedSchema: { type: 'object' } } };
const text = (value: string) => ({ content: [{ type: 'text', text: value }] });

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Work that runs until the test settles it or its signal aborts, exposing its control. */
function controllable() {
  const done = deferred<JsonObject>();
  const started = deferred<TaskControl>();
  const work = async (control: TaskControl) => {
    started.resolve(control);
    control.signal.addEventListener('abort', () => done.reject(control.signal.reason));
    return done.promise;
  };
  return { work, done, started };
}

describe('TaskService', () => {
  let clock: FixedClock;
  let outbox: InMemoryOutbox;
  let repository: InMemoryTaskRepository;
  let logger: RecordingLogger;
  let services: TaskService[];

  const service = (options: Partial<TaskServiceOptions> = {}, signals: TaskSignals = repository) => {
    const created = new TaskService({ tasks: repository, signals, clock, ids: new SequentialIds(`task-${services.length}`), meta: eventMetaFrom(clock, new SequentialIds('evt')), logger }, { ...OPTIONS, ...options });
    services.push(created);
    return created;
  };
  /** Runs `work` past the sync budget and returns the task it became. */
  const asTask = async (tasks: TaskService, work: (control: TaskControl) => Promise<JsonObject>, origin = ORIGIN): Promise<TaskView> => {
    const outcome = await tasks.run(origin, work);
    if (outcome.kind !== 'task') throw new Error('expected the work to become a task');
    return outcome.task;
  };

  beforeEach(() => {
    clock = new FixedClock();
    logger = new RecordingLogger();
    outbox = new InMemoryOutbox(10_000, logger);
    repository = new InMemoryTaskRepository(outbox, eventMetaFrom(clock, new SequentialIds('repo-evt')));
    services = [];
  });
  afterEach(async () => {
    await Promise.all(services.map((s) => s.stop()));
  });

  describe('run', () => {
    it('work that settles within the sync budget - answers inline and creates no task', async () => {
      const tasks = service();

      const outcome = await tasks.run(ORIGIN, async () => text('quick'));

      expect(outcome).toEqual({ kind: 'complete', result: text('quick') });
      await expect(repository.countLive('alice')).resolves.toBe(0);
      await expect(drainOutbox(outbox)).resolves.toEqual([]);
    });

    it('work that fails within the sync budget - rejects with its own error, no task', async () => {
      const tasks = service();
      const failure = new ApplicationError('params.invalid', 'bad pattern');

      await expect(tasks.run(ORIGIN, async () => Promise.reject(failure))).rejects.toBe(failure);
      await expect(drainOutbox(outbox)).resolves.toEqual([]);
    });

    it('work that outlives the budget - returns the committed working task; its result is saved when it ends', async () => {
      const tasks = service();
      const seen: TaskView[] = [];
      tasks.onStatusChange((view) => seen.push(view));
      const { work, done } = controllable();

      const task = await asTask(tasks, work);

      expect(task).toEqual({
        taskId: 'task-0-1',
        principal: 'alice',
        method: 'tools/call',
        name: 'execute_command',
        status: 'working',
        createdAt: T0.toISOString(),
        lastUpdatedAt: T0.toISOString(),
        ttlMs: 60_000,
        pollIntervalMs: 500,
      });
      await expect(tasks.get(task.taskId, 'alice')).resolves.toMatchObject({ status: 'working' });
      await expect(service().get(task.taskId, 'alice')).resolves.toMatchObject({ status: 'working' });

      done.resolve({ ...text('exit 1'), isError: true });

      await eventually(async () => (await tasks.get(task.taskId, 'alice')).status === 'completed', 2_000, 'the task to complete');
      const completed = await tasks.get(task.taskId, 'alice');
      expect(completed.result).toEqual({ ...text('exit 1'), isError: true });
      expect(seen.map((view) => view.status)).toEqual(['working', 'completed']);
      const events = await drainOutbox(outbox);
      expect(events.map((e) => e.type)).toEqual(['task.created', 'task.status_changed']);
      expect(events[0]?.data).toMatchObject({ trace: ORIGIN.trace, ownerReplica: 'replica-a' });
    });

    it('work that fails after the budget - the task fails with the error describeError gives', async () => {
      const tasks = service({ describeError: (error) => ({ code: -32602, message: (error as Error).message, data: { field: 'path' } }) });
      const { work, done } = controllable();
      const task = await asTask(tasks, work);

      done.reject(new Error('path is outside the roots'));

      await eventually(async () => (await tasks.get(task.taskId, 'alice')).status === 'failed', 2_000, 'the task to fail');
      const failed = await tasks.get(task.taskId, 'alice');
      expect(failed.error).toEqual({ code: -32602, message: 'path is outside the roots', data: { field: 'path' } });
      expect(failed.result).toBeUndefined();
    });

    it('work that fails after the budget, default mapping - a generic -32603 for the client, the stack in the log', async () => {
      const tasks = service();
      const { work, done } = controllable();
      const task = await asTask(tasks, work);

      done.reject(new Error('ECONNRESET from the executor'));

      await eventually(async () => (await tasks.get(task.taskId, 'alice')).status === 'failed', 2_000, 'the task to fail');
      const failed = await tasks.get(task.taskId, 'alice');
      expect(failed.error?.code).toBe(-32603);
      expect(failed.error?.message).not.toContain('ECONNRESET');
      expect(JSON.stringify(logger.at('error'))).toContain('ECONNRESET');
    });

    it('a result larger than maxResultBytes - the task fails saying so instead of storing it', async () => {
      const tasks = service({ maxResultBytes: 100 });
      const { work, done } = controllable();
      const task = await asTask(tasks, work);

      done.resolve(text('x'.repeat(200)));

      await eventually(async () => (await tasks.get(task.taskId, 'alice')).status === 'failed', 2_000, 'the task to fail');
      expect((await tasks.get(task.taskId, 'alice')).error?.message).toMatch(/larger than this server keeps for a task \(100 bytes\)/);
    });

    it('taskRequired - instant work still becomes a task, whose result is the work\'s', async () => {
      const tasks = service();

      const outcome = await tasks.run(ORIGIN, async () => text('instant'), { taskRequired: true });

      expect(outcome.kind).toBe('task');
      const taskId = (outcome as { task: TaskView }).task.taskId;
      await eventually(async () => (await tasks.get(taskId, 'alice')).status === 'completed', 2_000, 'the task to complete');
      expect((await tasks.get(taskId, 'alice')).result).toEqual(text('instant'));
    });

    it('taskRequired - committed once the work first waits: it is live while the work still runs', async () => {
      const tasks = service();
      const done = deferred<JsonObject>();
      let liveWhileWaiting: number | undefined;

      const outcome = await tasks.run(
        ORIGIN,
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          liveWhileWaiting = await repository.countLive('alice');
          return done.promise;
        },
        { taskRequired: true },
      );

      expect(outcome.kind).toBe('task');
      await eventually(() => liveWhileWaiting !== undefined, 2_000, 'the work to look');
      expect(liveWhileWaiting).toBe(1);
      done.resolve(text('late'));
    });

    it('taskRequired - a ClientInterrupt before the work first waits ends the call with no task', async () => {
      const tasks = service();
      const pending = new ClientAnswerPending();

      await expect(tasks.run(ORIGIN, async () => Promise.reject(pending), { taskRequired: true })).rejects.toBe(pending);

      expect(await repository.countLive('alice')).toBe(0);
    });

    it('taskRequired - a ClientInterrupt after the work became a task fails the task (no one can answer it any more)', async () => {
      const tasks = service();

      const outcome = await tasks.run(
        ORIGIN,
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          throw new ClientAnswerPending();
        },
        { taskRequired: true },
      );

      const taskId = (outcome as { task: TaskView }).task.taskId;
      await eventually(async () => (await tasks.get(taskId, 'alice')).status === 'failed', 2_000, 'the task to fail');
    });

    it('isTask - false while the call is inline, true once it became a task', async () => {
      const tasks = service({ syncBudgetMs: 10 });
      const seen: boolean[] = [];
      const done = deferred<JsonObject>();

      const outcome = await tasks.run(ORIGIN, async (control) => {
        seen.push(control.isTask());
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen.push(control.isTask());
        return done.promise;
      });

      expect(outcome.kind).toBe('task');
      await eventually(() => seen.length === 2, 2_000, 'both looks');
      expect(seen).toEqual([false, true]);
      done.resolve(text('x'));
    });

    it('syncBudgetMs per call - overrides the configured budget for that call only', async () => {
      const tasks = service({ syncBudgetMs: 5_000 });
      const slow = async () => new Promise<JsonObject>((resolve) => setTimeout(() => resolve(text('slow')), 100));

      await expect(tasks.run(ORIGIN, slow, { syncBudgetMs: 10 })).resolves.toMatchObject({ kind: 'task' });
      await expect(tasks.run(ORIGIN, slow)).resolves.toEqual({ kind: 'complete', result: text('slow') });
    });

    it('ttlMs - the origin may ask for less than the configured ttl, never more', async () => {
      const tasks = service();

      const shorter = await asTask(tasks, controllable().work, { ...ORIGIN, ttlMs: 5_000 });
      const longer = await asTask(tasks, controllable().work, { ...ORIGIN, ttlMs: 600_000 });

      expect([shorter.ttlMs, longer.ttlMs]).toEqual([5_000, 60_000]);
    });

    it('the principal holds its maximum of live tasks - refused with task.limit_reached and retryAfterMs, the work never starts', async () => {
      const tasks = service({ maxLivePerPrincipal: 1 });
      await asTask(tasks, controllable().work);
      let started = false;

      const attempt = tasks.run(ORIGIN, async () => {
        started = true;
        return text('never');
      });

      await expect(attempt).rejects.toBeInstanceOf(ApplicationError);
      await expect(attempt).rejects.toMatchObject({ code: 'task.limit_reached', data: { retryAfterMs: 500 } });
      expect(started).toBe(false);
      await expect(tasks.run({ ...ORIGIN, principal: 'bob' }, async () => text('other principal'))).resolves.toMatchObject({ kind: 'complete' });
    });
  });

  describe('get, update, cancel', () => {
    it('another principal - task.not_found, exactly as for an unknown id, and nothing changes', async () => {
      const tasks = service();
      const task = await asTask(tasks, controllable().work);

      await expect(tasks.get(task.taskId, 'mallory')).rejects.toMatchObject({ code: 'task.not_found' });
      await expect(tasks.cancel(task.taskId, 'mallory')).rejects.toMatchObject({ code: 'task.not_found' });
      await expect(tasks.update(task.taskId, 'mallory', { a: {} })).rejects.toMatchObject({ code: 'task.not_found' });
      await expect(tasks.get('no-such-task', 'alice')).rejects.toMatchObject({ code: 'task.not_found' });
      await expect(tasks.get(task.taskId, 'alice')).resolves.toMatchObject({ status: 'working' });
    });

    it('cancel - aborts the work\u2019s signal at once with TaskAborted(cancelled); the status is cancelled and stays so', async () => {
      const tasks = service();
      const { work, started } = controllable();
      const task = await asTask(tasks, work);
      const { signal } = await started.promise;

      await tasks.cancel(task.taskId, 'alice');

      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBeInstanceOf(TaskAborted);
      expect((signal.reason as TaskAborted).reason).toBe('cancelled');
      const cancelled = await tasks.get(task.taskId, 'alice');
      expect(cancelled.status).toBe('cancelled');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await tasks.get(task.taskId, 'alice')).status).toBe('cancelled');
    });

    it('cancel - a task that already ended - an idempotent acknowledgement: no error, status unchanged', async () => {
      const tasks = service();
      const { work, done } = controllable();
      const task = await asTask(tasks, work);
      done.resolve(text('done'));
      await eventually(async () => (await tasks.get(task.taskId, 'alice')).status === 'completed', 2_000, 'the task to complete');

      await expect(tasks.cancel(task.taskId, 'alice')).resolves.toBeUndefined();

      expect((await tasks.get(task.taskId, 'alice')).status).toBe('completed');
    });

    it('cancel on another service instance - reaches the owner\u2019s work through the signal and aborts it', async () => {
      const owner = service();
      const other = service({ replicaId: 'replica-b' });
      owner.start();
      other.start();
      const { work, started, done } = controllable();
      const task = await asTask(owner, work);
      const { signal } = await started.promise;

      await other.cancel(task.taskId, 'alice');

      await eventually(() => signal.aborted, 1_000, 'the owner to abort the work');
      await expect(done.promise).rejects.toBeInstanceOf(TaskAborted);
      expect((await owner.get(task.taskId, 'alice')).status).toBe('cancelled');
    });

    it('cancel on another instance with every signal lost - the owner\u2019s poll of its rows aborts the work', async () => {
      const deaf: TaskSignals = { listen: () => () => undefined };
      const owner = service({ signalPollMs: 50 }, deaf);
      const other = service({ replicaId: 'replica-b' }, deaf);
      owner.start();
      const { work, started } = controllable();
      const task = await asTask(owner, work);
      const { signal } = await started.promise;

      await other.cancel(task.taskId, 'alice');
      expect(signal.aborted).toBe(false);

      await eventually(() => signal.aborted, 1_000, 'the poll to abort the work');
    });

    it('input round trip - the work asks, the task shows input_required, an update on another instance resumes it', async () => {
      const owner = service();
      const other = service({ replicaId: 'replica-b' });
      owner.start();
      const task = await asTask(owner, async (control) => {
        const answers = await control.requestInput({ confirm: ELICIT }, 'waiting for confirmation');
        return text(`answered ${JSON.stringify(answers)}`);
      });

      const waiting = await owner.get(task.taskId, 'alice');
      expect(waiting).toMatchObject({ status: 'input_required', statusMessage: 'waiting for confirmation', inputRequests: { confirm: ELICIT } });

      await other.update(task.taskId, 'alice', { confirm: { action: 'accept', content: { ok: true } } });

      await eventually(async () => (await owner.get(task.taskId, 'alice')).status === 'completed', 2_000, 'the task to complete');
      expect((await owner.get(task.taskId, 'alice')).result).toEqual(text('answered {"confirm":{"action":"accept","content":{"ok":true}}}'));
    });

    it('partial answers - the task stays input_required with only the unanswered key, completes after the last', async () => {
      const tasks = service();
      const task = await asTask(tasks, async (control) => {
        const [first, second] = await Promise.all([control.requestInput({ one: ELICIT }), control.requestInput({ two: ELICIT })]);
        return text(`${Object.keys(first)} ${Object.keys(second)}`);
      });
      await eventually(async () => Object.keys((await tasks.get(task.taskId, 'alice')).inputRequests ?? {}).length === 2, 2_000, 'both requests');

      await tasks.update(task.taskId, 'alice', { one: { action: 'accept' }, never_asked: { action: 'accept' } });

      const partial = await tasks.get(task.taskId, 'alice');
      expect(partial.status).toBe('input_required');
      expect(Object.keys(partial.inputRequests ?? {})).toEqual(['two']);
      await tasks.update(task.taskId, 'alice', { two: { action: 'decline' } });
      await eventually(async () => (await tasks.get(task.taskId, 'alice')).status === 'completed', 2_000, 'the task to complete');
      expect((await tasks.get(task.taskId, 'alice')).result).toEqual(text('one two'));
    });

    it('update - keys that are not outstanding, or a task not waiting - acknowledged and ignored', async () => {
      const tasks = service();
      const task = await asTask(tasks, controllable().work);
      await drainOutbox(outbox);

      await expect(tasks.update(task.taskId, 'alice', { unknown: { action: 'accept' } })).resolves.toBeUndefined();

      expect((await tasks.get(task.taskId, 'alice')).status).toBe('working');
      await expect(drainOutbox(outbox)).resolves.toEqual([]);
    });

    it('cancel while waiting for input - the pending requestInput rejects with TaskAborted', async () => {
      const tasks = service();
      const asked = deferred<unknown>();
      const task = await asTask(tasks, async (control) => {
        try {
          return await control.requestInput({ q: ELICIT });
        } catch (error) {
          asked.resolve(error);
          throw error;
        }
      });

      await tasks.cancel(task.taskId, 'alice');

      await expect(asked.promise).resolves.toBeInstanceOf(TaskAborted);
      expect((await tasks.get(task.taskId, 'alice')).status).toBe('cancelled');
    });
  });

  describe('upkeep', () => {
    it('reap - deletes tasks past createdAt + ttlMs; the owner\u2019s poll then aborts their work as expired', async () => {
      const tasks = service({ signalPollMs: 50 });
      tasks.start();
      const { work, started } = controllable();
      const task = await asTask(tasks, work, { ...ORIGIN, ttlMs: 1_000 });
      const { signal } = await started.promise;

      clock.advance(999);
      await expect(tasks.reap()).resolves.toEqual({ deleted: 0, orphansFailed: 0 });
      clock.advance(1);
      await expect(tasks.reap()).resolves.toEqual({ deleted: 1, orphansFailed: 0 });

      await expect(tasks.get(task.taskId, 'alice')).rejects.toMatchObject({ code: 'task.not_found' });
      await eventually(() => signal.aborted, 1_000, 'the work to be aborted');
      expect((signal.reason as TaskAborted).reason).toBe('expired');
    });

    it('reap - a live task whose owner stopped beating is failed; tasks this replica runs are not', async () => {
      const tasks = service({ heartbeatMs: 1_000 });
      const dead = Task.create({ id: 'orphan', principal: 'alice', method: 'tools/call', name: 'search_files', ttlMs: 600_000, pollIntervalMs: 500, ownerReplica: 'replica-dead' }, eventMetaFrom(clock, new SequentialIds('o')));
      await repository.create(dead, 10);
      const mine = await asTask(tasks, controllable().work);

      clock.advance(3_000);
      await expect(tasks.reap()).resolves.toEqual({ deleted: 0, orphansFailed: 0 });
      clock.advance(1);
      await expect(tasks.reap()).resolves.toEqual({ deleted: 0, orphansFailed: 1 });

      const orphan = await tasks.get('orphan', 'alice');
      expect(orphan.status).toBe('failed');
      expect(orphan.error).toEqual({ code: -32603, message: expect.stringMatching(/stopped before it finished/) });
      expect((await tasks.get(mine.taskId, 'alice')).status).toBe('working');
    });

    it('heartbeat - the owner keeps its running tasks fresh, so another replica\u2019s reaper leaves them alone', async () => {
      const owner = service({ heartbeatMs: 20 });
      const reaper = service({ replicaId: 'replica-b', heartbeatMs: 20 });
      owner.start();
      const task = await asTask(owner, controllable().work);

      clock.advance(10_000);
      await eventually(async () => (await repository.get(task.taskId)).snapshot().heartbeatAt === clock.now().toISOString(), 1_000, 'a heartbeat');

      await expect(reaper.reap()).resolves.toEqual({ deleted: 0, orphansFailed: 0 });
      expect((await owner.get(task.taskId, 'alice')).status).toBe('working');
    });

    it('stop - aborts local work with TaskAborted(shutdown) and fails its task, saying the server shut down', async () => {
      const tasks = service();
      tasks.start();
      const { work, started } = controllable();
      const task = await asTask(tasks, work);
      const { signal } = await started.promise;

      await tasks.stop();

      expect((signal.reason as TaskAborted).reason).toBe('shutdown');
      const failed = await service().get(task.taskId, 'alice');
      expect(failed.status).toBe('failed');
      expect(failed.error?.message).toMatch(/shut down before this task finished/);
    });
  });
});

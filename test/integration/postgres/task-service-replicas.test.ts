import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { Clock } from '../../../src/application/ports/clock.js';
import { TaskAborted } from '../../../src/application/tasks/local-run.js';
import { TaskService, type TaskServiceOptions } from '../../../src/application/tasks/task-service.js';
import type { TaskSignals } from '../../../src/application/tasks/task-signals.js';
import type { TaskView } from '../../../src/application/tasks/task-view.js';
import type { TaskControl } from '../../../src/application/tasks/task-work.js';
import { Task, type JsonObject } from '../../../src/domain/task/task.js';
import { PostgresTaskRepository, PostgresTaskSignals } from '../../../src/infrastructure/persistence/postgres/postgres-task-repository.js';
import { eventually } from '../../contract/outbox.contract.js';
import { eventMetaFrom, FixedClock } from '../../support/fixed-clock.js';
import { createTestSchema, type TestSchema } from './pg-test-schema.js';

const ORIGIN = { principal: 'alice', method: 'tools/call', name: 'execute_command' };
const OPTIONS: TaskServiceOptions = { replicaId: 'unset', maxLivePerPrincipal: 8, ttlMs: 60_000, syncBudgetMs: 50, pollIntervalMs: 500 };
const ELICIT = { method: 'elicitation/create', params: { mode: 'form', message: 'Proceed?', requestedSchema: { type: 'object' } } };
const systemClock: Clock = { now: () => new Date() };
const uuids = { next: () => randomUUID() };

/** Two replicas of the task service on one Postgres schema, each with its own pool and LISTEN connection. */
describe('TaskService on Postgres, two replicas', () => {
  let schema: TestSchema;
  let pools: Pool[];
  let stops: (() => Promise<void>)[];

  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });
  beforeEach(async () => {
    await schema.pool.query('TRUNCATE tasks, outbox RESTART IDENTITY');
    pools = [];
    stops = [];
  });
  afterEach(async () => {
    for (const stop of stops.reverse()) await stop();
    await Promise.all(pools.map((pool) => pool.end()));
  });

  async function replica(replicaId: string, options: Partial<TaskServiceOptions> = {}, listen = true) {
    const pool = schema.newPool(4);
    pools.push(pool);
    const meta = eventMetaFrom(systemClock, uuids);
    const tasks = new PostgresTaskRepository(pool, meta);
    const listener = new PostgresTaskSignals(pool, schema.logger, { reconnectDelayMs: 200 });
    const signals: TaskSignals = listen ? listener : { listen: () => () => undefined };
    const service = new TaskService({ tasks, signals, clock: systemClock, ids: uuids, meta, logger: schema.logger }, { ...OPTIONS, replicaId, ...options });
    service.start();
    await listener.ready();
    stops.push(async () => {
      await service.stop();
      await listener.close();
    });
    return { service, tasks };
  }

  async function asTask(service: TaskService, work: (control: TaskControl) => Promise<JsonObject>): Promise<TaskView> {
    const outcome = await service.run(ORIGIN, work);
    if (outcome.kind !== 'task') throw new Error('expected a task');
    return outcome.task;
  }

  /** Work that waits until aborted, reporting when its signal fired. */
  function untilAborted() {
    const control: { signal?: AbortSignal; abortedAt?: number } = {};
    const work = (ctl: TaskControl) =>
      new Promise<JsonObject>((_, reject) => {
        control.signal = ctl.signal;
        ctl.signal.addEventListener('abort', () => {
          control.abortedAt = Date.now();
          reject(ctl.signal.reason);
        });
      });
    return { control, work };
  }

  it('a task created on A - readable on B as soon as run() returned (durable before CreateTaskResult)', async () => {
    const a = await replica('a');
    const b = await replica('b');

    const task = await asTask(a.service, untilAborted().work);

    await expect(b.service.get(task.taskId, 'alice')).resolves.toMatchObject({ taskId: task.taskId, status: 'working' });
    await expect(b.service.get(task.taskId, 'mallory')).rejects.toMatchObject({ code: 'task.not_found' });
  });

  it('cancel on B - A aborts the work through NOTIFY well inside a second; the status is cancelled everywhere', async () => {
    const a = await replica('a', { signalPollMs: 60_000 }); // the poll cannot be what delivers it
    const b = await replica('b');
    const { control, work } = untilAborted();
    const task = await asTask(a.service, work);

    const cancelledAt = Date.now();
    await b.service.cancel(task.taskId, 'alice');

    await eventually(() => control.abortedAt !== undefined, 2_000, 'A to abort the work');
    expect((control.abortedAt as number) - cancelledAt).toBeLessThan(1_000);
    expect((control.signal?.reason as TaskAborted).reason).toBe('cancelled');
    expect((await a.service.get(task.taskId, 'alice')).status).toBe('cancelled');
  });

  it('cancel on B while A hears no NOTIFY - A\u2019s 1 s poll of its rows aborts the work within 1.5 s', async () => {
    const a = await replica('a', {}, false);
    const b = await replica('b');
    const { control, work } = untilAborted();
    const task = await asTask(a.service, work);

    const cancelledAt = Date.now();
    await b.service.cancel(task.taskId, 'alice');

    await eventually(() => control.abortedAt !== undefined, 3_000, 'A to abort the work');
    expect((control.abortedAt as number) - cancelledAt).toBeLessThanOrEqual(1_500);
  });

  it('sleep 600 started by a task on A - killed when B cancels the task', async () => {
    const a = await replica('a');
    const b = await replica('b');
    let pid: number | undefined;
    const exited = new Promise<string | null>((resolve) => {
      void asTask(a.service, (ctl) => {
        const child = spawn('sleep', ['600'], { signal: ctl.signal, stdio: 'ignore' });
        pid = child.pid;
        child.on('exit', (_code, signal) => resolve(signal));
        return new Promise<JsonObject>((_, reject) => child.on('error', reject));
      }).then((task) => b.service.cancel(task.taskId, 'alice'));
    });

    await expect(exited).resolves.toBe('SIGTERM');
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid as number, 0)).toThrow();
  });

  it('input round trip - the work on A asks, B sees input_required and answers, A resumes and completes', async () => {
    const a = await replica('a');
    const b = await replica('b');
    const task = await asTask(a.service, async (control) => {
      const answers = await control.requestInput({ confirm: ELICIT });
      return { content: [{ type: 'text', text: `confirmed: ${JSON.stringify(answers.confirm)}` }] };
    });

    await eventually(async () => (await b.service.get(task.taskId, 'alice')).status === 'input_required', 2_000, 'input_required on B');
    expect((await b.service.get(task.taskId, 'alice')).inputRequests).toEqual({ confirm: ELICIT });
    await b.service.update(task.taskId, 'alice', { confirm: { action: 'accept', content: { ok: true } } });

    await eventually(async () => (await b.service.get(task.taskId, 'alice')).status === 'completed', 3_000, 'the task to complete');
    expect((await b.service.get(task.taskId, 'alice')).result).toEqual({ content: [{ type: 'text', text: 'confirmed: {"action":"accept","content":{"ok":true}}' }] });
  });

  it('a replica that died mid-task - B\u2019s reaper fails its working task once the heartbeat is stale', async () => {
    const b = await replica('b', { heartbeatMs: 1_000 });
    const longAgo = eventMetaFrom(new FixedClock(new Date(Date.now() - 10_000)), uuids);
    const dead = Task.create({ id: randomUUID(), ...ORIGIN, ttlMs: 60_000, pollIntervalMs: 500, ownerReplica: 'replica-that-died' }, longAgo);
    await expect(b.tasks.create(dead, 8)).resolves.toBe(true);

    await expect(b.service.reap()).resolves.toEqual({ deleted: 0, orphansFailed: 1 });

    expect(await b.service.get(dead.id, 'alice')).toMatchObject({ status: 'failed', error: { code: -32603 } });
  });

  it('the cap across replicas - the principal\u2019s live tasks on A count on B', async () => {
    const a = await replica('a', { maxLivePerPrincipal: 1 });
    const b = await replica('b', { maxLivePerPrincipal: 1 });
    await asTask(a.service, untilAborted().work);

    await expect(b.service.run(ORIGIN, async () => ({ content: [] }))).rejects.toMatchObject({ code: 'task.limit_reached', data: { retryAfterMs: 500 } });
  });
});

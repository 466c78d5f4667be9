import { DomainError } from '../../domain/shared/domain-error.js';
import type { EventMetaSource } from '../../domain/shared/event-meta-source.js';
import { Task, type JsonObject, type TaskError } from '../../domain/task/task.js';
import type { TaskRepository } from '../../domain/task/task.repository.js';
import { ApplicationError } from '../application.errors.js';
import { ClientInterrupt } from '../ports/client-requests.js';
import type { Clock, IdGenerator } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { LocalRun } from './local-run.js';
import { repeat } from './repeat.js';
import { describe, ifLive, TaskChanges } from './task-changes.js';
import { TaskReaper } from './task-reaper.js';
import type { TaskSignal, TaskSignals } from './task-signals.js';
import { taskView, type TaskView } from './task-view.js';
import { TaskWorkFailed, type RunOptions, type RunOutcome, type TaskControl, type TaskOrigin, type TaskWork } from './task-work.js';

export interface TaskServiceOptions {
  /** This process's id in `ownerReplica`: unique per running process (a restart is a new replica). */
  readonly replicaId: string;
  readonly maxLivePerPrincipal: number;
  readonly ttlMs: number;
  readonly syncBudgetMs: number;
  readonly pollIntervalMs: number;
  /** How often the owner marks its running tasks alive; default 5 s. */
  readonly heartbeatMs?: number;
  /** A live task whose heartbeat is older than this is failed as orphaned; default 3 × heartbeatMs. */
  readonly orphanAfterMs?: number;
  /** How often expired tasks are deleted and orphans failed; default 10 s. */
  readonly reapEveryMs?: number;
  /** The fallback poll of the rows this replica runs, for signals that never arrived; default 1 s. */
  readonly signalPollMs?: number;
  /** A result larger than this (as JSON) fails the task instead of being stored; default: no limit. */
  readonly maxResultBytes?: number;
  /** The JSON-RPC error a failed work's exception becomes (the presentation's mapping); default: a logged -32603. */
  readonly describeError?: (error: unknown, origin: TaskOrigin) => TaskError;
}

export interface TaskServiceDependencies {
  readonly tasks: TaskRepository;
  readonly signals: TaskSignals;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly meta: EventMetaSource;
  readonly logger: Logger;
}

type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

const INTERNAL_ERROR = -32603;
const SHUT_DOWN: TaskError = { code: INTERNAL_ERROR, message: 'The server shut down before this task finished; send the request again' };

/**
 * Server-directed tasks (SEP-2663) for one replica. `run` answers inline when the work finishes
 * within the sync budget, and otherwise commits a task row before it returns the task. The work
 * keeps running here under an AbortController; cancels and answers saved on any replica reach it
 * through TaskSignals, with a poll of the rows it runs as the fallback.
 */
export class TaskService {
  private readonly running = new Map<string, LocalRun>();
  private readonly changes: TaskChanges;
  private readonly reaper: TaskReaper;
  private readonly describeError: (error: unknown, origin: TaskOrigin) => TaskError;
  private readonly timers: NodeJS.Timeout[] = [];
  private unlisten: (() => void) | undefined;
  private stopping = false;

  constructor(
    private readonly deps: TaskServiceDependencies,
    private readonly options: TaskServiceOptions,
  ) {
    this.changes = new TaskChanges(deps.tasks, deps.logger);
    // The run's seed state for its CreateTaskResult follows every saved change.
    this.changes.onChange((view) => {
      const run = this.running.get(view.taskId);
      if (run) run.latest = view;
    });
    const orphanAfterMs = options.orphanAfterMs ?? 3 * this.heartbeatMs;
    this.reaper = new TaskReaper(deps.tasks, this.changes, deps.clock, deps.logger, orphanAfterMs, (id) => this.running.has(id));
    this.describeError = options.describeError ?? ((error, origin) => this.internalError(error, origin));
  }

  /**
   * Runs `work` for `origin`. With `taskRequired` the call never answers inline: it becomes a task
   * as soon as the work first waits (after the answers its request carried were used); a
   * ClientInterrupt before that (input the request must gather first, SEP-2322) ends the call with
   * no task. Refuses up front with ApplicationError('task.limit_reached') when the
   * principal already holds its maximum of live tasks, before any work starts: a call may outlive
   * the budget, and then it could neither become a task nor be held open without bound.
   */
  async run<R extends JsonObject>(origin: TaskOrigin, work: TaskWork<R>, options: RunOptions = {}): Promise<RunOutcome<R>> {
    const live = await this.deps.tasks.countLive(origin.principal);
    if (live >= this.options.maxLivePerPrincipal) throw this.limitReached(live);
    const run = new LocalRun();
    const control: TaskControl = {
      signal: run.controller.signal,
      requestInput: (requests, message) => this.requestInput(run, origin, requests, message),
      isTask: () => run.creation !== undefined,
    };
    const settled = settle((async () => work(control))());
    if (options.taskRequired) {
      // What the work does before it first waits on anything (answers the request already carries)
      // belongs to the request: an interrupt then (input still to gather) ends the call, with no task.
      const first = await Promise.race([settled, nextTurn()]);
      if (first !== 'turn' && !first.ok && first.error instanceof ClientInterrupt && run.creation === undefined) throw first.error;
      try {
        await this.becomeTask(run, origin);
      } catch (error) {
        run.controller.abort(error);
        throw error;
      }
    } else {
      const budget = delay(options.syncBudgetMs ?? this.options.syncBudgetMs);
      const first = await Promise.race([settled, budget.elapsed, run.inputAsked]);
      budget.cancel();
      if (typeof first === 'object' && run.creation === undefined) return inline(first);
      try {
        await this.becomeTask(run, origin);
      } catch (error) {
        if (!(error instanceof ApplicationError)) {
          run.controller.abort(error);
          throw error;
        }
        // Another call took the principal's last slot since the count above, or the server is
        // stopping: the work has started, so it finishes inline (bounded by the tool's own timeout).
        return inline(await settled);
      }
    }
    void settled.then((outcome) => this.finish(run, origin, outcome));
    return { kind: 'task', task: run.latest as TaskView };
  }

  /** The task as its principal sees it; another principal's task is task.not_found, as an unknown one is. */
  async get(taskId: string, principal: string): Promise<TaskView> {
    const task = await this.deps.tasks.get(taskId);
    assertOwned(task, principal);
    return taskView(task);
  }

  /** Delivers answers (`tasks/update`); keys not outstanding are ignored, as the SEP asks. */
  async update(taskId: string, principal: string, inputResponses: Readonly<Record<string, JsonObject>>): Promise<void> {
    const saved = await this.changes.change(taskId, (task) => {
      assertOwned(task, principal);
      return task.receiveInput(inputResponses).length > 0;
    });
    if (saved) this.running.get(taskId)?.deliver(saved);
  }

  /**
   * Cancels durably (`tasks/cancel`): the task is `cancelled` from this commit on, and the owner
   * replica aborts the work when the signal (or its poll) reaches it. A task that already ended is
   * left as it is: cancel is an idempotent acknowledgement in SEP-2663.
   */
  async cancel(taskId: string, principal: string): Promise<void> {
    await this.changes.change(taskId, (task) => {
      assertOwned(task, principal);
      return task.cancel();
    });
    this.running.get(taskId)?.abort('cancelled');
  }

  /**
   * Called with the task's new state after every change this replica stores (created, input asked
   * or answered, ended, cancelled). Changes stored by other replicas are not seen here.
   */
  onStatusChange(listener: (view: TaskView) => void): () => void {
    return this.changes.onChange(listener);
  }

  /** Deletes tasks past their TTL and fails orphaned ones; the reaper timer calls it. */
  reap(): Promise<{ deleted: number; orphansFailed: number }> {
    return this.reaper.reap();
  }

  /** Starts listening for signals, the heartbeat, the signal poll and the reaper (timers unref'd). */
  start(): void {
    if (this.unlisten) return;
    this.unlisten = this.deps.signals.listen((signal) => this.onSignal(signal));
    const { logger } = this.deps;
    this.timers.push(
      repeat(this.heartbeatMs, 'task heartbeat', logger, () => this.heartbeat()),
      repeat(this.options.signalPollMs ?? 1_000, 'task signal poll', logger, () => this.reconcile([...this.running.keys()])),
      repeat(this.options.reapEveryMs ?? 10_000, 'task reaper', logger, () => this.reap()),
    );
  }

  /** Stops the timers, aborts every local work and fails its task: no replica will finish it. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    this.unlisten?.();
    this.unlisten = undefined;
    const runs = [...this.running.entries()];
    for (const [, run] of runs) run.abort('shutdown');
    await Promise.all(runs.map(([taskId]) => this.changes.changeQuietly(taskId, ifLive((task) => task.fail(SHUT_DOWN)))));
  }

  private get heartbeatMs(): number {
    return this.options.heartbeatMs ?? 5_000;
  }

  private async requestInput(run: LocalRun, origin: TaskOrigin, requests: Readonly<Record<string, JsonObject>>, message?: string) {
    run.controller.signal.throwIfAborted();
    run.askInput();
    const taskId = await this.becomeTask(run, origin);
    const wait = run.wait(Object.keys(requests));
    try {
      const saved = await this.changes.change(taskId, ifLive((task) => task.requestInput(requests, message)));
      if (!saved) run.abort('ended');
    } catch (error) {
      wait.forget();
      throw error;
    }
    return wait.answers;
  }

  /** Creates and commits the task row once per run; the CreateTaskResult may only follow the commit. */
  private becomeTask(run: LocalRun, origin: TaskOrigin): Promise<string> {
    run.creation ??= (async () => {
      if (this.stopping) throw new ApplicationError('server.busy', 'the server is shutting down and starts no new tasks');
      const ttlMs = Math.min(origin.ttlMs ?? this.options.ttlMs, this.options.ttlMs);
      const init = {
        id: this.deps.ids.next(),
        principal: origin.principal,
        method: origin.method,
        name: origin.name,
        ttlMs,
        pollIntervalMs: this.options.pollIntervalMs,
        ownerReplica: this.options.replicaId,
        ...(origin.trace ? { trace: origin.trace } : {}),
        ...(origin.actor ? { actor: origin.actor } : {}),
      };
      const task = Task.create(init, this.deps.meta);
      if (!(await this.deps.tasks.create(task, this.options.maxLivePerPrincipal))) throw this.limitReached(this.options.maxLivePerPrincipal);
      run.taskId = task.id;
      this.running.set(task.id, run);
      run.latest = this.changes.published(task);
      return task.id;
    })();
    return run.creation;
  }

  /** Records the work's outcome. A task that ended meanwhile (cancelled, orphaned, deleted) keeps its end. */
  private async finish(run: LocalRun, origin: TaskOrigin, outcome: Settled<JsonObject>): Promise<void> {
    const taskId = run.taskId as string;
    try {
      // An aborted work's failure is the abort itself: the cancel, expiry or shutdown already ended the task.
      if (run.abortReason !== undefined && !outcome.ok) return;
      let end: (task: Task) => void;
      if (outcome.ok) {
        end = this.completion(outcome.value);
      } else {
        const error = outcome.error instanceof TaskWorkFailed ? outcome.error.taskError : this.describeError(outcome.error, origin);
        end = (task) => task.fail(error);
      }
      await this.changes.changeQuietly(taskId, ifLive(end));
    } finally {
      this.running.delete(taskId);
    }
  }

  private completion(result: JsonObject): (task: Task) => void {
    const limit = this.options.maxResultBytes;
    const bytes = limit === undefined ? 0 : Buffer.byteLength(JSON.stringify(result));
    if (limit === undefined || bytes <= limit) return (task) => task.complete(result);
    const error = { code: INTERNAL_ERROR, message: `The result (${bytes} bytes) is larger than this server keeps for a task (${limit} bytes)` };
    return (task) => task.fail(error);
  }

  /** Reads the rows of these local runs and acts on them: abort what ended or vanished, hand over answers. */
  private async reconcile(taskIds: readonly string[]): Promise<void> {
    const ids = taskIds.filter((id) => this.running.has(id));
    if (ids.length === 0) return;
    const found = new Map((await this.deps.tasks.find(ids)).map((task) => [task.id, task]));
    for (const id of ids) {
      const run = this.running.get(id);
      const task = found.get(id);
      if (!run) continue;
      if (!task) run.abort('expired');
      else if (!task.isLive) run.abort(task.status === 'cancelled' ? 'cancelled' : 'ended');
      else run.deliver(task);
    }
  }

  private onSignal(signal: TaskSignal): void {
    if (!this.running.has(signal.taskId)) return; // another replica's task, as most signals are
    this.reconcile([signal.taskId]).catch((error: unknown) =>
      this.deps.logger.warn('task signal handling failed; the poll retries', { taskId: signal.taskId, error: describe(error) }),
    );
  }

  private async heartbeat(): Promise<void> {
    const ids = [...this.running.keys()];
    if (ids.length > 0) await this.deps.tasks.heartbeat(this.options.replicaId, ids, this.deps.clock.now());
  }

  private limitReached(live: number): ApplicationError {
    return new ApplicationError(
      'task.limit_reached',
      `this client already has ${live} tasks running (at most ${this.options.maxLivePerPrincipal}); retry when one of them has ended`,
      { data: { retryAfterMs: this.options.pollIntervalMs } },
    );
  }

  private internalError(error: unknown, origin: TaskOrigin): TaskError {
    this.deps.logger.error('task work failed unexpectedly', {
      method: origin.method,
      name: origin.name,
      principal: origin.principal,
      ...(origin.trace ? { traceparent: origin.trace.traceparent } : {}),
      error: error instanceof Error ? error.stack : String(error),
    });
    return { code: INTERNAL_ERROR, message: 'Internal error: the server could not complete the request; details are in the server log' };
  }
}

function assertOwned(task: Task, principal: string): void {
  // The same answer as for an unknown id: a task's existence is not revealed to other principals.
  if (task.principal !== principal) throw new DomainError('task.not_found', `task ${task.id.slice(0, 80)} does not exist (unknown, or deleted after its ttlMs)`);
}

function inline<R extends JsonObject>(outcome: Settled<R>): RunOutcome<R> {
  if (outcome.ok) return { kind: 'complete', result: outcome.value };
  throw outcome.error;
}

function settle<R>(promise: Promise<R>): Promise<Settled<R>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Resolves after the promise work of this turn (and I/O callbacks already due) has run. */
function nextTurn(): Promise<'turn'> {
  return new Promise((resolve) => setImmediate(() => resolve('turn')));
}

function delay(ms: number): { elapsed: Promise<'budget'>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<'budget'>((resolve) => {
    timer = setTimeout(() => resolve('budget'), ms);
  });
  return { elapsed, cancel: () => clearTimeout(timer) };
}

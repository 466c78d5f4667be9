import type { JsonObject, Task } from '../../domain/task/task.js';
import type { TaskView } from './task-view.js';

/**
 * Why the work's AbortSignal fired: a client cancelled, the task is gone (deleted after its TTL) or
 * ended elsewhere (failed as an orphan), or this server is shutting down.
 */
export type TaskAbortReason = 'cancelled' | 'expired' | 'ended' | 'shutdown';

/** The AbortSignal's reason, so an executor or tool can tell a task abort from its own timeouts. */
export class TaskAborted extends Error {
  constructor(readonly reason: TaskAbortReason) {
    super(
      {
        cancelled: 'the task was cancelled',
        expired: 'the task outlived its ttlMs and was deleted',
        ended: 'the task was ended elsewhere',
        shutdown: 'the server is shutting down',
      }[reason],
    );
    this.name = 'AbortError';
  }
}

interface InputWaiter {
  readonly keys: readonly string[];
  resolve(responses: Record<string, JsonObject>): void;
  reject(error: Error): void;
}

/**
 * One piece of work this replica runs: its AbortController, the task it became (if it did), and
 * the `requestInput` calls waiting for answers. Lives in the service's per-replica map.
 */
export class LocalRun {
  readonly controller = new AbortController();
  /** Set once the work became a task; a run that answers inline never gets one. */
  taskId: string | undefined;
  creation: Promise<string> | undefined;
  /** The last state this replica saved or created: the seed state a CreateTaskResult returns. */
  latest: TaskView | undefined;
  /** Resolves when the work asks for input: a run that needs the client must become a task at once. */
  readonly inputAsked: Promise<'input'>;
  private markInputAsked!: () => void;
  private readonly waiters = new Set<InputWaiter>();

  constructor() {
    this.inputAsked = new Promise((resolve) => {
      this.markInputAsked = () => resolve('input');
    });
  }

  get abortReason(): TaskAbortReason | undefined {
    const reason: unknown = this.controller.signal.reason;
    return this.controller.signal.aborted && reason instanceof TaskAborted ? reason.reason : undefined;
  }

  askInput(): void {
    this.markInputAsked();
  }

  /** Aborts the work once (the first reason wins) and rejects every pending input wait with it. */
  abort(reason: TaskAbortReason): void {
    if (this.controller.signal.aborted) return;
    const error = new TaskAborted(reason);
    this.controller.abort(error);
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
  }

  /** Waits for the answers to `keys`; register before saving the request, so an early answer is not missed. */
  wait(keys: readonly string[]): { answers: Promise<Record<string, JsonObject>>; forget(): void } {
    let waiter!: InputWaiter;
    const answers = new Promise<Record<string, JsonObject>>((resolve, reject) => {
      waiter = { keys, resolve, reject };
    });
    if (this.controller.signal.aborted) waiter.reject(this.controller.signal.reason as Error);
    else this.waiters.add(waiter);
    return { answers, forget: () => this.waiters.delete(waiter) };
  }

  /** Hands the stored answers to every wait whose keys are all answered (repeats are harmless). */
  deliver(task: Task): void {
    for (const waiter of this.waiters) {
      const responses = task.responsesFor(waiter.keys);
      if (!responses) continue;
      this.waiters.delete(waiter);
      waiter.resolve(responses);
    }
  }
}

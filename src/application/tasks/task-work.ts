import type { EventActor } from '../../domain/shared/domain-event.js';
import type { JsonObject, TaskError, TraceContext } from '../../domain/task/task.js';
import type { TaskView } from './task-view.js';

/** The request a piece of work stands for, and whose it is. */
export interface TaskOrigin {
  /** The authenticated subject, or 'anonymous' without auth. */
  readonly principal: string;
  readonly method: string;
  readonly name: string;
  /** A shorter lifetime than the configured one (never a longer one). */
  readonly ttlMs?: number;
  readonly trace?: TraceContext;
  /** The principal as the task's events record it (absent: the anonymous caller). */
  readonly actor?: EventActor;
}

/** What the work gets: the signal to stop on (cancel from any replica, shutdown) and a way to ask the client. */
export interface TaskControl {
  readonly signal: AbortSignal;
  /**
   * Moves the task to input_required (making the call a task first, if it was still inline) and
   * resolves with the answers to exactly these keys once `tasks/update` delivered them all, on any
   * replica. Keys must be new within the task. Rejects with TaskAborted when the task is cancelled.
   */
  requestInput(inputRequests: Readonly<Record<string, JsonObject>>, message?: string): Promise<Record<string, JsonObject>>;
  /** Whether the call has become a task (its request is, or is about to be, answered with the task). */
  isTask(): boolean;
}

export type TaskWork<R extends JsonObject> = (control: TaskControl) => Promise<R>;

/** `complete`: the work finished within the sync budget and no task exists; `task`: answer CreateTaskResult. */
export type RunOutcome<R extends JsonObject> = { readonly kind: 'complete'; readonly result: R } | { readonly kind: 'task'; readonly task: TaskView };

export interface RunOptions {
  /**
   * The tool can only run as a task (SEP-2663 task support "required"): the call never answers
   * inline, however quick the work is. The task row is committed once the work first waits, so
   * input gathered on the request before then (SEP-2322 rounds) creates no task.
   */
  readonly taskRequired?: boolean;
  /** This call's inline budget instead of the configured `sync_budget_ms`. */
  readonly syncBudgetMs?: number;
}

/**
 * Thrown by work that already knows how its task fails (and has logged why): the task is failed
 * with exactly `taskError`, with no further description or log line.
 */
export class TaskWorkFailed extends Error {
  constructor(
    readonly taskError: TaskError,
    options?: { cause?: unknown },
  ) {
    super(taskError.message, options);
    this.name = 'TaskWorkFailed';
  }
}

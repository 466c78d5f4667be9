import { DomainError } from '../../domain/shared/domain-error.js';
import type { Task } from '../../domain/task/task.js';
import { TaskVersionConflict, type TaskRepository } from '../../domain/task/task.repository.js';
import type { Logger } from '../ports/logger.js';
import { taskView, type TaskView } from './task-view.js';

const MAX_ATTEMPTS = 5;

/**
 * Every state change the task service makes goes through here: load, apply, save under the
 * optimistic version (again from a fresh load when another writer committed first, e.g. a cancel
 * racing the work's end), then tell the status listeners what was saved.
 */
export class TaskChanges {
  private readonly listeners = new Set<(view: TaskView) => void>();

  constructor(
    private readonly tasks: TaskRepository,
    private readonly logger: Logger,
  ) {}

  /** Returns the saved task, or undefined when `apply` declined (returned false) and nothing was written. */
  async change(taskId: string, apply: (task: Task) => boolean): Promise<Task | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      const task = await this.tasks.get(taskId);
      if (!apply(task)) return undefined;
      try {
        await this.tasks.save(task);
      } catch (error) {
        if (error instanceof TaskVersionConflict && attempt < MAX_ATTEMPTS) continue;
        throw error;
      }
      this.published(task);
      return task;
    }
  }

  /** `change` for background writes: a task deleted meanwhile is fine, any other failure is logged. */
  async changeQuietly(taskId: string, apply: (task: Task) => boolean): Promise<boolean> {
    try {
      return (await this.change(taskId, apply)) !== undefined;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'task.not_found') return false;
      this.logger.error('could not record a task change', { taskId, error: describe(error) });
      return false;
    }
  }

  /** Tells the listeners a task's state was stored (by `change`, or by the creation of the task). */
  published(task: Task): TaskView {
    const view = taskView(task);
    for (const listener of this.listeners) {
      try {
        listener(view);
      } catch (error) {
        this.logger.error('task status listener threw', { taskId: task.id, error: describe(error) });
      }
    }
    return view;
  }

  onChange(listener: (view: TaskView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Applies `change` to a live task; a task that already ended declines (false) and stays as it is. */
export function ifLive(change: (task: Task) => void): (task: Task) => boolean {
  return (task) => {
    if (!task.isLive) return false;
    change(task);
    return true;
  };
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

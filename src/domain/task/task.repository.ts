import type { Task } from './task.js';
import type { TaskStatus } from './task.events.js';

/**
 * Another save of the same task committed first (two replicas, or a cancel racing the work's end).
 * The caller reloads the task and decides again; nothing of the losing save was stored.
 */
export class TaskVersionConflict extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId.slice(0, 80)} was changed by another writer; reload it and retry`);
    this.name = 'TaskVersionConflict';
  }
}

/**
 * Port. Every write stores the task's state and its pulled events atomically (one transaction in
 * Postgres, with the outbox). Writes are optimistic: `save` commits only over the version the task
 * was loaded at. A save that records `task.cancel_requested` or `task.input_received` also signals
 * the owner replica (TaskSignals) in the same commit.
 */
export interface TaskRepository {
  /**
   * Stores a new task (version 0) and returns true, or returns false and stores nothing when its
   * principal already holds `maxLivePerPrincipal` live tasks; the count and the insert are one
   * atomic step across replicas.
   */
  create(task: Task, maxLivePerPrincipal: number): Promise<boolean>;
  /** Throws DomainError('task.not_found') when absent (never stored, or deleted after its TTL). */
  get(id: string): Promise<Task>;
  /** The tasks among `ids` that exist, in no particular order. */
  find(ids: readonly string[]): Promise<Task[]>;
  /**
   * Stores the task's changes and pulled events; a task with no new events is left alone. Throws
   * TaskVersionConflict when another save committed since the task was loaded, and
   * DomainError('task.not_found') when the task is gone.
   */
  save(task: Task): Promise<void>;
  /** Live (working or input_required) tasks the principal holds. */
  countLive(principal: string): Promise<number>;
  /** Stored tasks of every principal by status (the tasks gauge); statuses with none are left out. */
  countByStatus(): Promise<Partial<Record<TaskStatus, number>>>;
  /** Marks `ids` (live tasks `ownerReplica` runs) as alive at `at`; not a state change, no version bump. */
  heartbeat(ownerReplica: string, ids: readonly string[], at: Date): Promise<void>;
  /** Live tasks whose owner last beat before `staleBefore`, oldest first, at most `limit`. */
  orphaned(staleBefore: Date, limit: number): Promise<Task[]>;
  /** Deletes every task whose `createdAt + ttlMs` is at or before `now`, live or not; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}

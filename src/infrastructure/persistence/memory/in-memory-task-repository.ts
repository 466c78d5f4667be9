import type { Outbox } from '../../../application/ports/outbox.js';
import { signalFor, type TaskSignal, type TaskSignals } from '../../../application/tasks/task-signals.js';
import { DomainError } from '../../../domain/shared/domain-error.js';
import type { EventMetaSource } from '../../../domain/shared/event-meta-source.js';
import { LIVE_TASK_STATUSES, Task, type TaskSnapshot, type TaskStatus } from '../../../domain/task/task.js';
import { TaskVersionConflict, type TaskRepository } from '../../../domain/task/task.repository.js';

/**
 * Tasks of one process. Stores snapshots, not live aggregates, so that every `get` hands out a
 * fresh copy and the optimistic version check behaves as it does in Postgres (two task services on
 * one repository act like two replicas). Its signals are in-process calls, delivered after the
 * save returns, as a NOTIFY is delivered after the commit.
 */
export class InMemoryTaskRepository implements TaskRepository, TaskSignals {
  private readonly rows = new Map<string, TaskSnapshot>();
  private readonly listeners = new Set<(signal: TaskSignal) => void>();

  constructor(
    private readonly outbox: Outbox,
    private readonly meta: EventMetaSource,
  ) {}

  async create(task: Task, maxLivePerPrincipal: number): Promise<boolean> {
    if (this.rows.has(task.id)) throw new Error(`task ${task.id.slice(0, 80)} already exists`);
    if (task.version !== 0) throw new Error(`task ${task.id.slice(0, 80)} was already stored; save it instead`);
    // Counted and inserted with no await between, so concurrent creations cannot both pass the cap.
    if (this.live(task.principal) >= maxLivePerPrincipal) return false;
    await this.commit(task, 0);
    return true;
  }

  async get(id: string): Promise<Task> {
    const row = this.rows.get(id);
    if (!row) throw notFound(id);
    return Task.restore(row, this.meta);
  }

  async find(ids: readonly string[]): Promise<Task[]> {
    return ids.flatMap((id) => {
      const row = this.rows.get(id);
      return row ? [Task.restore(row, this.meta)] : [];
    });
  }

  async save(task: Task): Promise<void> {
    const row = this.rows.get(task.id);
    if (!row) throw notFound(task.id);
    if (row.version !== task.version) throw new TaskVersionConflict(task.id);
    await this.commit(task, row.version);
  }

  async countLive(principal: string): Promise<number> {
    return this.live(principal);
  }

  async countByStatus(): Promise<Partial<Record<TaskStatus, number>>> {
    const counts: Partial<Record<TaskStatus, number>> = {};
    for (const row of this.rows.values()) counts[row.status] = (counts[row.status] ?? 0) + 1;
    return counts;
  }

  async heartbeat(ownerReplica: string, ids: readonly string[], at: Date): Promise<void> {
    for (const id of ids) {
      const row = this.rows.get(id);
      const later = row !== undefined && Date.parse(row.heartbeatAt) < at.getTime();
      if (row && later && row.ownerReplica === ownerReplica && LIVE_TASK_STATUSES.includes(row.status)) {
        this.rows.set(id, { ...row, heartbeatAt: at.toISOString() });
      }
    }
  }

  async orphaned(staleBefore: Date, limit: number): Promise<Task[]> {
    return [...this.rows.values()]
      .filter((row) => LIVE_TASK_STATUSES.includes(row.status) && Date.parse(row.heartbeatAt) < staleBefore.getTime())
      .sort((a, b) => Date.parse(a.heartbeatAt) - Date.parse(b.heartbeatAt))
      .slice(0, limit)
      .map((row) => Task.restore(row, this.meta));
  }

  async deleteExpired(now: Date): Promise<number> {
    let deleted = 0;
    for (const [id, row] of this.rows) {
      if (Date.parse(row.createdAt) + row.ttlMs <= now.getTime()) {
        this.rows.delete(id);
        deleted += 1;
      }
    }
    return deleted;
  }

  listen(listener: (signal: TaskSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private live(principal: string): number {
    let live = 0;
    for (const row of this.rows.values()) if (row.principal === principal && LIVE_TASK_STATUSES.includes(row.status)) live += 1;
    return live;
  }

  private async commit(task: Task, version: number): Promise<void> {
    const events = task.pullEvents();
    if (events.length === 0) return;
    // The heartbeat is the owner's, written apart from state changes; a save never moves it back.
    const heartbeatAt = this.rows.get(task.id)?.heartbeatAt ?? task.snapshot().heartbeatAt;
    this.rows.set(task.id, { ...task.snapshot(), heartbeatAt, version: version + 1 });
    task.stored(version + 1);
    await this.outbox.append(events);
    const kind = signalFor(events);
    if (kind) queueMicrotask(() => this.signal({ taskId: task.id, kind }));
  }

  private signal(signal: TaskSignal): void {
    for (const listener of this.listeners) listener(signal);
  }
}

function notFound(id: string): DomainError {
  return new DomainError('task.not_found', `task ${id.slice(0, 80)} does not exist (unknown, or deleted after its ttlMs)`);
}

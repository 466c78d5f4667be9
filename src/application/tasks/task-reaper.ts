import type { TaskError } from '../../domain/task/task.js';
import type { TaskRepository } from '../../domain/task/task.repository.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { TaskChanges } from './task-changes.js';

const ORPHAN_BATCH = 100;
const ORPHANED: TaskError = { code: -32603, message: 'The server process running this task stopped before it finished; send the request again' };

/**
 * Deletes tasks past their TTL (live ones too: SEP-2663 lets a server discard a task once its
 * ttlMs elapsed, and the owner aborts work whose row vanished) and fails live tasks whose owner
 * replica stopped beating, so a crashed process never leaves a task `working` for good.
 */
export class TaskReaper {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly changes: TaskChanges,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly orphanAfterMs: number,
    /** Tasks this replica runs: their heartbeat may lag, their owner is alive. */
    private readonly runsHere: (taskId: string) => boolean,
  ) {}

  async reap(): Promise<{ deleted: number; orphansFailed: number }> {
    const now = this.clock.now().getTime();
    const deleted = await this.tasks.deleteExpired(new Date(now));
    const staleBefore = now - this.orphanAfterMs;
    let orphansFailed = 0;
    for (const orphan of await this.tasks.orphaned(new Date(staleBefore), ORPHAN_BATCH)) {
      if (this.runsHere(orphan.id)) continue;
      const failed = await this.changes.changeQuietly(orphan.id, (task) => {
        // Read again: the owner may have beaten since the query.
        if (!task.isLive || Date.parse(task.snapshot().heartbeatAt) >= staleBefore) return false;
        task.fail(ORPHANED);
        return true;
      });
      if (failed) orphansFailed += 1;
    }
    if (deleted > 0 || orphansFailed > 0) this.logger.info('task reaper ran', { deleted, orphansFailed });
    return { deleted, orphansFailed };
  }
}

import type { Outbox } from '../../../application/ports/outbox.js';
import type { ToolExecution, ToolExecutionSnapshot } from '../../../domain/tool/tool-execution.js';
import type { ToolExecutionRepository } from '../../../domain/tool/tool-execution.repository.js';

/** Keeps the most recent executions (a ring) — the durable audit trail is the Postgres adapter's job. */
export class InMemoryToolExecutionRepository implements ToolExecutionRepository {
  private readonly recent: ToolExecutionSnapshot[] = [];
  private next = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly retention = 1000,
  ) {}

  async save(execution: ToolExecution): Promise<void> {
    if (this.retention > 0) {
      this.recent[this.next] = execution.snapshot();
      this.next = (this.next + 1) % this.retention;
    }
    const events = execution.pullEvents();
    if (events.length > 0) await this.outbox.append(events);
  }

  /** Newest first. */
  list(): ToolExecutionSnapshot[] {
    const ordered = [...this.recent.slice(this.next), ...this.recent.slice(0, this.next)];
    return ordered.filter(Boolean).reverse();
  }
}

import type { Outbox } from '../../../application/ports/outbox.js';
import type { ToolExecution, ToolExecutionSnapshot } from '../../../domain/tool/tool-execution.js';
import type { ToolExecutionRepository } from '../../../domain/tool/tool-execution.repository.js';

/** Keeps the most recent executions (a ring) — the durable audit trail is the Postgres adapter's job. */
export class InMemoryToolExecutionRepository implements ToolExecutionRepository {
  // Aggregates, not snapshots: a snapshot per save costs more than the call it records (two ISO
  // timestamps and spreads); the few readers of the ring pay for it instead.
  private readonly recent: ToolExecution[] = [];
  private next = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly retention = 1000,
  ) {}

  async save(execution: ToolExecution): Promise<void> {
    if (this.retention > 0) {
      this.recent[this.next] = execution;
      this.next = (this.next + 1) % this.retention;
    }
    const events = execution.pullEvents();
    if (events.length > 0) await this.outbox.append(events);
  }

  /** Newest first. */
  list(): ToolExecutionSnapshot[] {
    const ordered = [...this.recent.slice(this.next), ...this.recent.slice(0, this.next)];
    return ordered.filter(Boolean).reverse().map((execution) => execution.snapshot());
  }
}

import type { Pool } from 'pg';
import type { ToolExecution } from '../../../domain/tool/tool-execution.js';
import type { ToolExecutionRepository } from '../../../domain/tool/tool-execution.repository.js';
import { insertOutboxEvents } from './outbox-rows.js';
import { withoutNul } from './pg-errors.js';
import { withTransaction } from './postgres-pool.js';

/** The durable audit trail: one row per execution (upserted, so saving at start and at finish both work). */
export class PostgresToolExecutionRepository implements ToolExecutionRepository {
  constructor(private readonly pool: Pool) {}

  async save(execution: ToolExecution): Promise<void> {
    const s = execution.snapshot();
    const events = execution.pullEvents();
    await withTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO tool_executions (id, session_id, tool, started_at, finished_at, duration_ms, outcome, error, principal)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE
           SET finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms,
               outcome = EXCLUDED.outcome, error = EXCLUDED.error
           WHERE (tool_executions.finished_at, tool_executions.duration_ms, tool_executions.outcome, tool_executions.error)
             IS DISTINCT FROM (EXCLUDED.finished_at, EXCLUDED.duration_ms, EXCLUDED.outcome, EXCLUDED.error)`,
        [
          s.id,
          s.sessionId ?? null,
          s.tool,
          s.startedAt,
          s.finishedAt ?? null,
          s.durationMs ?? null,
          s.outcome ?? null,
          s.error !== undefined ? withoutNul(s.error) : null,
          s.principal ?? null,
        ],
      );
      await insertOutboxEvents(client, events);
    });
  }
}

import type { ClickHouseClient } from '@clickhouse/client';
import type {
  ConversationUsage,
  ConversationUsageQuery,
  ExecutionActivity,
  ExecutionActivityQuery,
  ToolUsageQuery,
  ToolUsageReader,
  ToolUsageRow,
} from '../../application/ports/analytics.js';
import type { Clock } from '../../application/ports/clock.js';
import { ClickHouseConversationReader } from './clickhouse-conversation-reader.js';
import { AnalyticsError, describeFailure } from './clickhouse-errors.js';
import { ClickHouseExecutionReader } from './clickhouse-execution-reader.js';
import { CLICKHOUSE_TABLES } from './clickhouse-migrations.js';
import { integerLiteral, tableRef, toNumber } from './clickhouse-sql.js';

interface UsageRecord {
  tool: string;
  calls: unknown;
  errors: unknown;
  cancelled: unknown;
  avg_duration_ms: unknown;
  duration_quantiles: unknown[];
  last_called_at: unknown;
}

/**
 * Tool usage from tool_executions. FINAL collapses redelivered rows before counting, so a batch the
 * relay sent twice counts once. `quantiles` keeps a bounded sample (exact up to 8192 executions per
 * tool, an estimate beyond), interpolating linearly; it exists under the same name in 18.16 and today.
 * The window is cut on the application's clock, spliced as a validated integer (18.16 cannot bind).
 * Execution decisions and conversation activity, the port's other read models, are read by
 * ClickHouseExecutionReader and ClickHouseConversationReader.
 */
export class ClickHouseToolUsageReader implements ToolUsageReader {
  private readonly table: string;
  private readonly executions: ClickHouseExecutionReader;
  private readonly conversations: ClickHouseConversationReader;

  constructor(
    private readonly client: ClickHouseClient,
    database: string,
    private readonly clock: Clock,
  ) {
    this.table = tableRef(database, CLICKHOUSE_TABLES.toolExecutions);
    this.executions = new ClickHouseExecutionReader(client, database, clock);
    this.conversations = new ClickHouseConversationReader(client, database, clock);
  }

  conversationUsage(query: ConversationUsageQuery): Promise<ConversationUsage> {
    return this.conversations.conversationUsage(query);
  }

  executionActivity(query: ExecutionActivityQuery): Promise<ExecutionActivity> {
    return this.executions.executionActivity(query);
  }

  async toolUsage(query: ToolUsageQuery = {}): Promise<ToolUsageRow[]> {
    const where = query.sinceSeconds === undefined ? '' : `WHERE occurred_at >= toDateTime(${this.cutoff(query.sinceSeconds)})`;
    const sql = `SELECT
        tool,
        count() AS calls,
        countIf(outcome = 'error') AS errors,
        countIf(outcome = 'cancelled') AS cancelled,
        avg(duration_ms) AS avg_duration_ms,
        quantiles(0.5, 0.95)(duration_ms) AS duration_quantiles,
        toUnixTimestamp(max(occurred_at)) AS last_called_at
      FROM ${this.table} FINAL
      ${where}
      GROUP BY tool
      ORDER BY calls DESC, tool ASC`;
    let records: UsageRecord[];
    try {
      const result = await this.client.query({ query: sql, format: 'JSONEachRow' });
      records = await result.json<UsageRecord>();
    } catch (error) {
      throw new AnalyticsError('analytics.read_failed', `ClickHouse tool usage query failed: ${describeFailure(error)}`, { cause: error });
    }
    return records.map(toRow);
  }

  private cutoff(sinceSeconds: number): string {
    integerLiteral(sinceSeconds, 'sinceSeconds');
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    return integerLiteral(Math.max(0, nowSeconds - sinceSeconds), 'cutoff');
  }
}

function toRow(record: UsageRecord): ToolUsageRow {
  return {
    tool: record.tool,
    calls: toNumber(record.calls),
    errors: toNumber(record.errors),
    cancelled: toNumber(record.cancelled),
    avgDurationMs: toNumber(record.avg_duration_ms),
    p50DurationMs: toNumber(record.duration_quantiles[0]),
    p95DurationMs: toNumber(record.duration_quantiles[1]),
    lastCalledAt: new Date(toNumber(record.last_called_at) * 1000).toISOString(),
  };
}

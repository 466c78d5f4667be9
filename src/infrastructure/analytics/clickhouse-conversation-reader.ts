import type { ClickHouseClient } from '@clickhouse/client';
import type { ConversationUsage, ConversationUsageQuery, ModelUsage } from '../../application/ports/analytics.js';
import type { Clock } from '../../application/ports/clock.js';
import { AnalyticsError, describeFailure } from './clickhouse-errors.js';
import { CLICKHOUSE_TABLES } from './clickhouse-migrations.js';
import { integerLiteral, tableRef, toNumber } from './clickhouse-sql.js';

interface ModelRecord {
  model: string;
  turns: unknown;
  failed: unknown;
  input_tokens: unknown;
  output_tokens: unknown;
  cache_read_input_tokens: unknown;
  cache_creation_input_tokens: unknown;
}

interface LifecycleRecord {
  type: string;
  n: unknown;
}

/**
 * Conversation activity: turns and tokens per model from `conversation_turns`, conversations started
 * and closed from `events` (the conversation.started/closed envelopes). Every query reads FINAL, so a
 * redelivered event counts once; the window is cut on the application's clock and spliced as a
 * validated integer (18.16 cannot bind parameters). The sums take their columns' names, so ORDER BY
 * names the aliases (18.16 would read sum(input_tokens) there as a sum of the alias).
 */
export class ClickHouseConversationReader {
  private readonly turns: string;
  private readonly events: string;

  constructor(
    private readonly client: ClickHouseClient,
    database: string,
    private readonly clock: Clock,
  ) {
    this.turns = tableRef(database, CLICKHOUSE_TABLES.conversationTurns);
    this.events = tableRef(database, CLICKHOUSE_TABLES.events);
  }

  async conversationUsage(query: ConversationUsageQuery): Promise<ConversationUsage> {
    const where = `occurred_at >= toDateTime(${this.cutoff(query.sinceSeconds)})`;
    const [models, active, lifecycle] = await Promise.all([
      this.select<ModelRecord>(
        `SELECT model, count() AS turns, countIf(outcome = 'failed') AS failed, sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens, sum(cache_read_input_tokens) AS cache_read_input_tokens,
            sum(cache_creation_input_tokens) AS cache_creation_input_tokens
          FROM ${this.turns} FINAL WHERE ${where}
          GROUP BY model ORDER BY input_tokens + output_tokens DESC, model ASC`,
      ),
      this.select<{ n: unknown }>(`SELECT uniqExact(conversation_id) AS n FROM ${this.turns} FINAL WHERE ${where}`),
      this.select<LifecycleRecord>(
        `SELECT type, count() AS n FROM ${this.events} FINAL
          WHERE type IN ('conversation.started', 'conversation.closed') AND ${where} GROUP BY type`,
      ),
    ]);
    const byModel = models.map(toModel);
    const turns = byModel.reduce((sum, m) => sum + m.turns, 0);
    const failedTurns = byModel.reduce((sum, m) => sum + m.failedTurns, 0);
    const count = (type: string) => toNumber(lifecycle.find((r) => r.type === type)?.n ?? 0);
    return {
      conversations: {
        started: count('conversation.started'),
        closed: count('conversation.closed'),
        active: toNumber(active[0]?.n ?? 0),
        turns,
        completedTurns: turns - failedTurns,
        failedTurns,
      },
      models: byModel,
    };
  }

  private async select<T>(sql: string): Promise<T[]> {
    try {
      const result = await this.client.query({ query: sql, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (error) {
      throw new AnalyticsError('analytics.read_failed', `ClickHouse conversation usage query failed: ${describeFailure(error)}`, { cause: error });
    }
  }

  private cutoff(sinceSeconds: number): string {
    integerLiteral(sinceSeconds, 'sinceSeconds');
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    return integerLiteral(Math.max(0, nowSeconds - sinceSeconds), 'cutoff');
  }
}

function toModel(record: ModelRecord): ModelUsage {
  return {
    model: record.model,
    turns: toNumber(record.turns),
    failedTurns: toNumber(record.failed),
    inputTokens: toNumber(record.input_tokens),
    outputTokens: toNumber(record.output_tokens),
    cacheReadInputTokens: toNumber(record.cache_read_input_tokens),
    cacheCreationInputTokens: toNumber(record.cache_creation_input_tokens),
  };
}

import { tableRef } from './clickhouse-sql.js';

export const CLICKHOUSE_TABLES = {
  events: 'events',
  toolExecutions: 'tool_executions',
  executions: 'executions',
  conversationTurns: 'conversation_turns',
  migrations: 'schema_migrations',
} as const;

/**
 * ClickHouse has no transactions, so a migration is a list of statements that are each safe to run
 * again (IF NOT EXISTS): a crash between a statement and the version record only repeats work.
 * The SQL is the subset 18.16 and current servers both accept: no LowCardinality (18.16 needs an
 * experimental setting), DateTime64, JSON/Map, TTL or CODEC.
 */
export interface ClickHouseMigration {
  readonly version: number;
  readonly name: string;
  statements(database: string): readonly string[];
}

/**
 * ReplacingMergeTree collapses rows with the same sorting key, which makes redelivery by the outbox
 * relay idempotent; readers use FINAL because collapsing happens only at (background) merges. The
 * partition key is derived from occurred_at, which is the same in every delivery of an event, so
 * duplicates always share a partition (FINAL does not collapse across partitions).
 */
export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    version: 1,
    name: 'events and tool executions',
    statements: (database) => [
      `CREATE TABLE IF NOT EXISTS ${tableRef(database, CLICKHOUSE_TABLES.events)} (
        event_id String,
        type String,
        version UInt16,
        aggregate_type String,
        aggregate_id String,
        session_id String,
        occurred_at DateTime,
        occurred_ms UInt16,
        payload String,
        inserted_at DateTime
      ) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMM(occurred_at)
      ORDER BY event_id`,
      `CREATE TABLE IF NOT EXISTS ${tableRef(database, CLICKHOUSE_TABLES.toolExecutions)} (
        execution_id String,
        event_id String,
        session_id String,
        tool String,
        outcome String,
        duration_ms UInt32,
        error String,
        retryable UInt8,
        occurred_at DateTime
      ) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMM(occurred_at)
      ORDER BY (tool, execution_id)`,
    ],
  },
  {
    version: 2,
    name: 'execution decisions',
    // One row per execution.decided event. The sorting key ends in event_id, so a redelivered event
    // collapses with its first copy; occurred_at leads because every read is a recent time window.
    // exit_code is Nullable: a denied or signalled run has none, which 0 would misreport as success.
    statements: (database) => [
      `CREATE TABLE IF NOT EXISTS ${tableRef(database, CLICKHOUSE_TABLES.executions)} (
        event_id String,
        execution_id String,
        session_id String,
        principal String,
        decision String,
        rule String,
        reason String,
        backend String,
        program String,
        argv Array(String),
        cwd String,
        exit_code Nullable(Int32),
        signal String,
        duration_ms UInt32,
        stdout_bytes UInt64,
        stderr_bytes UInt64,
        truncated UInt8,
        timed_out UInt8,
        killed UInt8,
        error String,
        occurred_at DateTime,
        occurred_ms UInt16
      ) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMM(occurred_at)
      ORDER BY (occurred_at, event_id)`,
    ],
  },
  {
    version: 3,
    name: 'conversation turns',
    // One row per conversation.completed / conversation.failed event: the turn's outcome, model and
    // tokens, never message text. Conversations started and closed are counted from `events`.
    statements: (database) => [
      `CREATE TABLE IF NOT EXISTS ${tableRef(database, CLICKHOUSE_TABLES.conversationTurns)} (
        event_id String,
        conversation_id String,
        session_id String,
        outcome String,
        stop_reason String,
        error_code String,
        retryable UInt8,
        model String,
        iterations UInt32,
        input_tokens UInt64,
        output_tokens UInt64,
        cache_read_input_tokens UInt64,
        cache_creation_input_tokens UInt64,
        occurred_at DateTime,
        occurred_ms UInt16
      ) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMM(occurred_at)
      ORDER BY (occurred_at, event_id)`,
    ],
  },
  {
    version: 4,
    name: 'event actors',
    // Who caused each event (issue 14): empty for anonymous callers and the server itself.
    statements: (database) => [
      `ALTER TABLE ${tableRef(database, CLICKHOUSE_TABLES.events)} ADD COLUMN actor_id String DEFAULT ''`,
      `ALTER TABLE ${tableRef(database, CLICKHOUSE_TABLES.events)} ADD COLUMN actor_kind String DEFAULT ''`,
    ],
  },
];

export function migrationsTableStatement(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(database, CLICKHOUSE_TABLES.migrations)} (
    version UInt32,
    name String,
    applied_at DateTime
  ) ENGINE = ReplacingMergeTree()
  ORDER BY version`;
}

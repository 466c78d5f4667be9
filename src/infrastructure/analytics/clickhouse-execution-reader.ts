import type { ClickHouseClient } from '@clickhouse/client';
import type {
  DenialsByRule,
  ExecutionActivity,
  ExecutionActivityQuery,
  ExecutionActivityReader,
  ExecutionDecisionSummary,
  RunsByBackend,
} from '../../application/ports/analytics.js';
import type { Clock } from '../../application/ports/clock.js';
import { AnalyticsError, describeFailure } from './clickhouse-errors.js';
import { CLICKHOUSE_TABLES } from './clickhouse-migrations.js';
import { integerLiteral, tableRef, toNumber } from './clickhouse-sql.js';

interface DecisionCount {
  decision: string;
  rule: string;
  n: unknown;
  last_at: unknown;
}

interface BackendRecord {
  backend: string;
  runs: unknown;
  failed: unknown;
  timed_out: unknown;
  killed: unknown;
  truncated: unknown;
  avg_duration_ms: unknown;
  p95_duration_ms: unknown;
}

interface RecentRecord {
  execution_id: string;
  decision: 'allowed' | 'denied';
  rule: string;
  reason: string;
  backend: string;
  program: string;
  exit_code: unknown;
  signal: string;
  duration_ms: unknown;
  output_bytes: unknown;
  truncated: unknown;
  timed_out: unknown;
  killed: unknown;
  failed: unknown;
  at: unknown;
  occurred_ms: unknown;
}

/**
 * execute_command decisions from `executions`. Every query reads FINAL, so an event the relay
 * delivered twice counts once; the window is cut on the application's clock and spliced as a
 * validated integer (18.16 cannot bind parameters). Three small queries rather than one: 18.16 has
 * no window functions or multi-statement requests, and each answers one part of the report.
 */
export class ClickHouseExecutionReader implements ExecutionActivityReader {
  private readonly table: string;

  constructor(
    private readonly client: ClickHouseClient,
    database: string,
    private readonly clock: Clock,
  ) {
    this.table = tableRef(database, CLICKHOUSE_TABLES.executions);
  }

  async executionActivity(query: ExecutionActivityQuery): Promise<ExecutionActivity> {
    const where = `occurred_at >= toDateTime(${this.cutoff(query.sinceSeconds)})`;
    const limit = integerLiteral(query.recentLimit, 'recentLimit');
    const [counts, backends, recent] = await Promise.all([
      this.select<DecisionCount>(
        `SELECT decision, rule, count() AS n, toUnixTimestamp(max(occurred_at)) AS last_at
          FROM ${this.table} FINAL WHERE ${where} GROUP BY decision, rule`,
      ),
      this.select<BackendRecord>(
        `SELECT backend, count() AS runs, countIf(error != '') AS failed, sum(timed_out) AS timed_out, sum(killed) AS killed,
            sum(truncated) AS truncated, avg(duration_ms) AS avg_duration_ms, quantile(0.95)(duration_ms) AS p95_duration_ms
          FROM ${this.table} FINAL WHERE decision = 'allowed' AND ${where}
          GROUP BY backend ORDER BY runs DESC, backend ASC`,
      ),
      this.select<RecentRecord>(
        `SELECT execution_id, decision, rule, reason, backend, program, exit_code, signal, duration_ms,
            stdout_bytes + stderr_bytes AS output_bytes, truncated, timed_out, killed, error != '' AS failed,
            toUnixTimestamp(occurred_at) AS at, occurred_ms
          FROM ${this.table} FINAL WHERE ${where}
          ORDER BY occurred_at DESC, occurred_ms DESC, event_id DESC LIMIT ${limit}`,
      ),
    ]);
    return {
      allowed: total(counts, 'allowed'),
      denied: total(counts, 'denied'),
      deniedByRule: denials(counts),
      runsByBackend: backends.map(toBackend),
      recent: recent.map(toSummary),
    };
  }

  private async select<T>(sql: string): Promise<T[]> {
    try {
      const result = await this.client.query({ query: sql, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (error) {
      throw new AnalyticsError('analytics.read_failed', `ClickHouse execution activity query failed: ${describeFailure(error)}`, { cause: error });
    }
  }

  private cutoff(sinceSeconds: number): string {
    integerLiteral(sinceSeconds, 'sinceSeconds');
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    return integerLiteral(Math.max(0, nowSeconds - sinceSeconds), 'cutoff');
  }
}

function total(counts: readonly DecisionCount[], decision: string): number {
  return counts.filter((c) => c.decision === decision).reduce((sum, c) => sum + toNumber(c.n), 0);
}

function denials(counts: readonly DecisionCount[]): DenialsByRule[] {
  return counts
    .filter((c) => c.decision === 'denied')
    .map((c) => ({ rule: c.rule, denials: toNumber(c.n), lastDeniedAt: isoSeconds(c.last_at) }))
    .sort((a, b) => b.denials - a.denials || a.rule.localeCompare(b.rule));
}

function toBackend(record: BackendRecord): RunsByBackend {
  return {
    backend: record.backend,
    runs: toNumber(record.runs),
    failed: toNumber(record.failed),
    timedOut: toNumber(record.timed_out),
    killed: toNumber(record.killed),
    truncated: toNumber(record.truncated),
    avgDurationMs: toNumber(record.avg_duration_ms),
    p95DurationMs: toNumber(record.p95_duration_ms),
  };
}

function toSummary(record: RecentRecord): ExecutionDecisionSummary {
  return {
    executionId: record.execution_id,
    decision: record.decision,
    rule: record.rule,
    reason: record.reason,
    backend: record.backend,
    program: record.program,
    exitCode: record.exit_code === null ? null : toNumber(record.exit_code),
    signal: record.signal === '' ? null : record.signal,
    durationMs: toNumber(record.duration_ms),
    outputBytes: toNumber(record.output_bytes),
    truncated: toNumber(record.truncated) === 1,
    timedOut: toNumber(record.timed_out) === 1,
    killed: toNumber(record.killed) === 1,
    failed: toNumber(record.failed) === 1,
    decidedAt: new Date(toNumber(record.at) * 1000 + toNumber(record.occurred_ms)).toISOString(),
  };
}

function isoSeconds(value: unknown): string {
  return new Date(toNumber(value) * 1000).toISOString();
}

/** Which executions a tool-usage report covers; no window means all recorded history. */
export interface ToolUsageQuery {
  /** Only executions that finished at most this many seconds ago (a non-negative integer). */
  readonly sinceSeconds?: number;
}

/** One tool's usage over the window; retried deliveries of the same execution count once. */
export interface ToolUsageRow {
  readonly tool: string;
  readonly calls: number;
  readonly errors: number;
  readonly cancelled: number;
  readonly avgDurationMs: number;
  /** Percentiles interpolate linearly between the two nearest recorded durations. */
  readonly p50DurationMs: number;
  readonly p95DurationMs: number;
  /** ISO 8601, to the second. */
  readonly lastCalledAt: string;
}

/** The analytics read model of tool executions, most-called tool first. */
export interface ToolUsageReader {
  toolUsage(query?: ToolUsageQuery): Promise<ToolUsageRow[]>;
}
